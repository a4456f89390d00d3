import { createHash } from 'node:crypto';

import { v7 as uuidv7 } from 'uuid';

import { DEFAULT_EVENT_SOURCE, type NewEvent } from '../domain/event.js';
import { nestingDepth, objectMemberTexts } from './json-text.js';
import { LIMITS } from './limits.js';
import { ContractViolation, pointerToken, type ValidationIssue } from './validation-issue.js';

/** Attribute names of CloudEvents 1.0 that this contract reads; any other member is an extension. */
const CONTEXT_ATTRIBUTES = new Set([
  'specversion',
  'id',
  'source',
  'type',
  'subject',
  'time',
  'datacontenttype',
  'dataschema',
  'data',
  'data_base64',
]);

/** CloudEvents 1.0: extension names are lower-case ASCII letters and digits. */
const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;

/** RFC 3339 date-time, as CloudEvents requires for `time`. */
const RFC3339 =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Position of an event in a request body, as the JSON Pointer prefix of its validation issues. */
export interface EventLocation {
  readonly pointerPrefix: string;
}

/**
 * Decodes a request body as strict UTF-8 JSON, enforcing the nesting limit.
 * Returns the parsed value and its text; throws ContractViolation on invalid input.
 */
export function parseJsonBody(body: Buffer): { value: unknown; text: string } {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new ContractViolation('INGEST_BODY_ENCODING_INVALID', [{ pointer: '', detail: 'The body is not valid UTF-8.' }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'parse error';
    throw new ContractViolation('INGEST_BODY_INVALID_JSON', [{ pointer: '', detail: `The body is not valid JSON: ${reason}` }]);
  }
  const depth = nestingDepth(text);
  if (depth > LIMITS.maxNestingDepth) {
    throw new ContractViolation('INGEST_BODY_TOO_DEEP', [
      { pointer: '', detail: `The body nests objects and arrays ${depth} levels deep; the limit is ${LIMITS.maxNestingDepth}.` },
    ]);
  }
  return { value, text };
}

/**
 * Builds a NewEvent from one structured-mode event: the parsed JSON object and its source text.
 * Collects every invalid attribute and throws them together as one ContractViolation.
 */
export function eventFromStructured(value: unknown, text: string, location: EventLocation = { pointerPrefix: '' }): NewEvent {
  const prefix = location.pointerPrefix;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ContractViolation('INGEST_VALIDATION_FAILED', [{ pointer: prefix, detail: 'An event must be a JSON object.' }]);
  }
  const object = value as Record<string, unknown>;
  const issues: ValidationIssue[] = [];
  const at = (name: string) => `${prefix}/${pointerToken(name)}`;

  const specVersion = optionalString(object, 'specversion', 8, issues, at) ?? '1.0';
  if (specVersion !== '1.0') issues.push({ pointer: at('specversion'), detail: 'Only CloudEvents specversion "1.0" is supported.' });

  const type = requiredString(object, 'type', LIMITS.typeMaxBytes, issues, at);
  if (type !== undefined && Buffer.byteLength(type) > LIMITS.typeMaxBytes) {
    issues.push({ pointer: at('type'), detail: `type must be at most ${LIMITS.typeMaxBytes} bytes of UTF-8.` });
  }
  const cloudEventId = optionalString(object, 'id', LIMITS.idMaxLength, issues, at);
  const source = optionalString(object, 'source', LIMITS.sourceMaxLength, issues, at);
  const subject = optionalString(object, 'subject', LIMITS.subjectMaxLength, issues, at);
  const dataSchema = optionalString(object, 'dataschema', LIMITS.dataSchemaMaxLength, issues, at);
  const time = optionalString(object, 'time', 64, issues, at);
  if (time !== undefined && !isRfc3339(time)) {
    issues.push({ pointer: at('time'), detail: 'time must be an RFC 3339 timestamp such as 2026-01-31T12:00:00Z.' });
  }
  let dataContentType = optionalString(object, 'datacontenttype', LIMITS.dataContentTypeMaxLength, issues, at);

  const extensions = readExtensions(object, issues, at);
  const data = readData(object, text, dataContentType, issues, at);
  if (data !== null && dataContentType === undefined) dataContentType = data.defaultContentType;

  if (issues.length > 0) throw new ContractViolation('INGEST_VALIDATION_FAILED', issues);

  const id = uuidv7();
  const event = {
    id,
    cloudEventId: cloudEventId ?? id,
    source: source ?? DEFAULT_EVENT_SOURCE,
    type: type!,
    specVersion,
    subject: subject ?? null,
    time: time ?? null,
    dataContentType: dataContentType ?? null,
    dataSchema: dataSchema ?? null,
    data: data?.bytes ?? null,
    extensions,
  };
  return { ...event, fingerprint: fingerprint(event) };
}

type PointerOf = (name: string) => string;

function requiredString(object: Record<string, unknown>, name: string, maxLength: number, issues: ValidationIssue[], at: PointerOf) {
  if (!(name in object)) {
    issues.push({ pointer: at(name), detail: `${name} is required.` });
    return undefined;
  }
  return optionalString(object, name, maxLength, issues, at);
}

function optionalString(object: Record<string, unknown>, name: string, maxLength: number, issues: ValidationIssue[], at: PointerOf) {
  const value = object[name];
  if (value === undefined || !Object.hasOwn(object, name)) return undefined;
  if (typeof value !== 'string') {
    issues.push({ pointer: at(name), detail: `${name} must be a string.` });
    return undefined;
  }
  if (value.length === 0) {
    issues.push({ pointer: at(name), detail: `${name} must not be empty.` });
    return undefined;
  }
  if (value.length > maxLength) {
    issues.push({ pointer: at(name), detail: `${name} must be at most ${maxLength} characters long.` });
    return undefined;
  }
  if (!isStorableText(value)) {
    issues.push({ pointer: at(name), detail: `${name} must not contain the NUL character (U+0000) or unpaired surrogates.` });
    return undefined;
  }
  return value;
}

/** PostgreSQL text cannot hold U+0000, and UTF-8 cannot encode an unpaired surrogate without changing it. */
function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && value.isWellFormed();
}

function isRfc3339(value: string): boolean {
  if (!RFC3339.test(value)) return false;
  const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  // The pattern allows day 31 in every month; a calendar date check rejects 2026-02-30 and the like.
  return new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
}

function readExtensions(object: Record<string, unknown>, issues: ValidationIssue[], at: PointerOf) {
  const extensions: Record<string, string | number | boolean> = {};
  let count = 0;
  for (const [name, value] of Object.entries(object)) {
    if (CONTEXT_ATTRIBUTES.has(name)) continue;
    count += 1;
    if (!EXTENSION_NAME.test(name)) {
      issues.push({
        pointer: at(name),
        detail: `Unknown attribute "${name}": extension attribute names are 1 to 20 lower-case letters and digits.`,
      });
    } else if (
      typeof value === 'string'
        ? value.length > LIMITS.extensionValueMaxLength || !isStorableText(value)
        : typeof value !== 'boolean' && !Number.isSafeInteger(value)
    ) {
      issues.push({
        pointer: at(name),
        detail: `Extension attribute ${name} must be an integer, a boolean, or a string of at most ${LIMITS.extensionValueMaxLength} characters without U+0000 or unpaired surrogates.`,
      });
    } else {
      extensions[name] = value as string | number | boolean;
    }
  }
  if (count > LIMITS.maxExtensions) {
    issues.push({ pointer: at(''), detail: `An event may carry at most ${LIMITS.maxExtensions} extension attributes.` });
  }
  return extensions;
}

/** Tests whether a media type is JSON, by the rule CloudEvents uses for `datacontenttype`. */
export function isJsonMediaType(contentType: string): boolean {
  const essence = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return essence === 'application/json' || essence === 'text/json' || essence.endsWith('+json');
}

function readData(object: Record<string, unknown>, text: string, contentType: string | undefined, issues: ValidationIssue[], at: PointerOf) {
  const hasData = Object.hasOwn(object, 'data');
  const hasBase64 = Object.hasOwn(object, 'data_base64');
  if (hasData && hasBase64) {
    issues.push({ pointer: at('data_base64'), detail: 'An event carries either data or data_base64, not both.' });
    return null;
  }
  if (hasBase64) {
    const encoded = object['data_base64'];
    if (typeof encoded !== 'string' || !BASE64.test(encoded)) {
      issues.push({ pointer: at('data_base64'), detail: 'data_base64 must be a base64 string (RFC 4648).' });
      return null;
    }
    return { bytes: Buffer.from(encoded, 'base64'), defaultContentType: 'application/octet-stream' };
  }
  if (!hasData) return null;
  const value = object['data'];
  // CloudEvents JSON format: with a content type that is not JSON, a string `data` is the payload itself.
  if (contentType !== undefined && !isJsonMediaType(contentType) && typeof value === 'string') {
    return { bytes: Buffer.from(value, 'utf8'), defaultContentType: contentType };
  }
  const dataText = objectMemberTexts(text).get('data')!;
  return { bytes: Buffer.from(dataText, 'utf8'), defaultContentType: 'application/json' };
}

/** Hashes everything the client sent about the event, so that a resend can be distinguished from a conflicting event. */
function fingerprint(event: Omit<NewEvent, 'fingerprint' | 'id' | 'cloudEventId'>): Buffer {
  const hash = createHash('sha256');
  const attributes = [event.type, event.source, event.specVersion, event.subject, event.time, event.dataContentType, event.dataSchema];
  hash.update(JSON.stringify(attributes));
  hash.update(JSON.stringify(Object.entries(event.extensions).sort(([a], [b]) => (a < b ? -1 : 1))));
  if (event.data !== null) hash.update(event.data);
  return hash.digest();
}
