/** One reason a request was rejected, pointing at the bad part of the body with a JSON Pointer (RFC 6901). */
export interface ValidationIssue {
  /** JSON Pointer into the body; in binary mode, into the event's attributes. */
  readonly pointer: string;
  /** HTTP header that carried the bad value, in binary mode. */
  readonly header?: string;
  readonly detail: string;
}

/** Thrown by the contract parsers when a request body or its attributes are invalid. */
export class ContractViolation extends Error {
  readonly code: string;
  readonly issues: readonly ValidationIssue[];

  constructor(code: string, issues: readonly ValidationIssue[]) {
    super(issues.map((issue) => `${issue.pointer || '(body)'}: ${issue.detail}`).join('; '));
    this.name = 'ContractViolation';
    this.code = code;
    this.issues = issues;
  }
}

/** Escapes a member name for use as one JSON Pointer token (RFC 6901). */
export function pointerToken(name: string): string {
  if (!name.includes('~') && !name.includes('/')) return name;
  return name.replaceAll('~', '~0').replaceAll('/', '~1');
}
