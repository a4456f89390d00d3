import type { NewEvent } from '../domain/event.js';
import { checkAttribute, EXTENSION_NAME, STANDARD_ATTRIBUTES, type StandardAttribute } from './attribute-schemas.js';
import { parseJsonBody } from './json-body.js';
import { LIMITS } from './limits.js';
import { isJsonMediaType } from './media-type.js';
import { toNewEvent } from './new-event.js';
import { ContractViolation, pointerToken, type ValidationIssue } from './validation-issue.js';

/** An HTTP request in the binary content mode: attributes in `ce-*` headers, data in the body. */
export interface BinaryMessage {
  /** Request headers with lower-case names, as Node.js delivers them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/** Header whose presence marks a request that is not in a structured media type as binary mode. */
export const BINARY_MODE_HEADER = 'ce-specversion';

const HEADER_PREFIX = 'ce-';
const REQUIRED: readonly StandardAttribute[] = ['specversion', 'id', 'source', 'type'];
const STANDARD = new Set<string>(STANDARD_ATTRIBUTES);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Builds a NewEvent from a binary-mode request. The body is the data, stored byte for byte with the
 * Content-Type as its content type. With a JSON content type the body must be valid JSON, so that the
 * status endpoint can return it inside a JSON document unchanged.
 */
export function eventFromBinary(message: BinaryMessage): NewEvent {
  const issues: ValidationIssue[] = [];
  const attributes = new Map<StandardAttribute, string>();
  const extensions: Record<string, string> = {};
  let extensionCount = 0;

  for (const [header, raw] of Object.entries(message.headers)) {
    if (!header.startsWith(HEADER_PREFIX) || raw === undefined) continue;
    const name = header.slice(HEADER_PREFIX.length);
    const where = { pointer: `/${pointerToken(name)}`, header };
    const value = decodeHeaderValue(raw, where, issues);
    if (value === undefined) continue;

    if (name === 'datacontenttype') {
      issues.push({ ...where, detail: 'In binary mode the Content-Type header is the data content type; remove ce-datacontenttype.' });
    } else if (STANDARD.has(name)) {
      if (checkAttribute(name as StandardAttribute, value, { ...where, label: header }, issues)) attributes.set(name as StandardAttribute, value);
    } else {
      extensionCount += 1;
      if (!EXTENSION_NAME.test(name)) {
        issues.push({ ...where, detail: `${header}: extension attribute names are 1 to ${LIMITS.extensionNameMaxLength} lower-case letters and digits.` });
      } else if (checkAttribute('extension', value, { ...where, label: header }, issues)) {
        extensions[name] = value;
      }
    }
  }
  for (const name of REQUIRED) {
    if (message.headers[`${HEADER_PREFIX}${name}`] === undefined) {
      issues.push({ pointer: `/${name}`, header: `${HEADER_PREFIX}${name}`, detail: `${HEADER_PREFIX}${name} is required in binary mode.` });
    }
  }
  if (extensionCount > LIMITS.maxExtensions) {
    issues.push({ pointer: '', detail: `An event may carry at most ${LIMITS.maxExtensions} extension attributes; this one has ${extensionCount}.` });
  }
  const contentType = firstValue(message.headers['content-type']);
  if (contentType !== undefined) {
    checkAttribute('datacontenttype', contentType, { pointer: '/datacontenttype', header: 'content-type', label: 'Content-Type' }, issues);
  }
  if (issues.length > 0) throw new ContractViolation('INGEST_VALIDATION_FAILED', issues);

  const data = message.body.length === 0 ? null : message.body;
  if (data !== null && contentType !== undefined && isJsonMediaType(contentType)) checkJsonData(data);
  return toNewEvent({
    specVersion: attributes.get('specversion')!,
    cloudEventId: attributes.get('id'),
    source: attributes.get('source'),
    type: attributes.get('type')!,
    subject: attributes.get('subject'),
    time: attributes.get('time'),
    dataContentType: contentType,
    dataSchema: attributes.get('dataschema'),
    data,
    extensions,
  });
}

/**
 * JSON data is returned inside the status document as it was sent, so it must be JSON text that can be
 * embedded: valid, within the nesting limit, and without a byte order mark (RFC 8259 forbids one).
 */
function checkJsonData(data: Buffer): void {
  if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) {
    throw new ContractViolation('INGEST_BODY_INVALID_JSON', [{ pointer: '/data', detail: 'JSON data must not start with a byte order mark.' }]);
  }
  parseJsonBody(data, { pointer: '/data' });
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Decodes a header value as the CloudEvents HTTP binding requires: percent-decoding, then UTF-8.
 * Bytes outside ASCII that a client sent without encoding are read as UTF-8 too.
 */
function decodeHeaderValue(raw: string | string[], where: { pointer: string; header: string }, issues: ValidationIssue[]): string | undefined {
  if (Array.isArray(raw)) {
    issues.push({ ...where, detail: `${where.header} appears more than once; send it once.` });
    return undefined;
  }
  try {
    // Node.js reads header bytes as Latin-1, one character per byte.
    return decodeURIComponent(utf8.decode(Buffer.from(raw, 'latin1')));
  } catch {
    issues.push({
      ...where,
      detail: `${where.header} is not valid percent-encoded UTF-8; encode "%" as %25 and each byte outside printable ASCII as %XX.`,
    });
    return undefined;
  }
}
