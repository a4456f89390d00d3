/**
 * Error classes graded by what the caller should do. Each carries a stable `code`; match on the code,
 * not on `instanceof`, because npm workspaces can load two copies of this package.
 */
export class IngestionError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Invalid configuration: the process cannot start until an operator fixes it. */
export class ConfigurationError extends IngestionError {
  constructor(message: string, options?: ErrorOptions) {
    super('CONFIGURATION_INVALID', message, options);
  }
}

/** A failure that may succeed when tried again later (a timeout, a dropped connection). */
export class TransientError extends IngestionError {
  constructor(message: string, options?: ErrorOptions & { code?: string }) {
    super(options?.code ?? 'TRANSIENT_FAILURE', message, options);
  }
}

/** A failure that will fail the same way every time: retrying it is pointless. */
export class PermanentError extends IngestionError {
  readonly permanent = true;

  constructor(message: string, options?: ErrorOptions & { code?: string }) {
    super(options?.code ?? 'PERMANENT_FAILURE', message, options);
  }
}

/** True for a PermanentError, or any error that sets `permanent: true`, so handlers need not import the class. */
export function isPermanentError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { permanent?: unknown }).permanent === true;
}

/** Normalises whatever a `catch` received into an Error, keeping a non-Error value as `cause`. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : `Non-error value thrown: ${safeString(value)}`, { cause: value });
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
