import type { NewEvent } from '../domain/event.js';
import { checkAttribute, EXTENSION_NAME, STANDARD_ATTRIBUTES, type StandardAttribute } from './attribute-schemas.js';
import { objectMemberTexts } from './json-text.js';
import { LIMITS } from './limits.js';
import { isJsonMediaType } from './media-type.js';
import { toNewEvent } from './new-event.js';
import { ContractViolation, pointerToken, type ValidationIssue } from './validation-issue.js';

/**
 * Strictness with which an event in JSON is read. `cloudevents` is the structured content mode, where
 * specversion, id and source are required. `json` is plain `application/json`, where they default.
 */
export type EventFormat = 'cloudevents' | 'json';

/** Position of an event in a request body, so that every JSON Pointer names the right place, and its format. */
export interface EventLocation {
  readonly pointerPrefix: string;
  readonly format: EventFormat;
}

const STANDARD = new Set<string>(STANDARD_ATTRIBUTES);

/**
 * Builds a NewEvent from one event in JSON: the parsed object and its source text.
 * Collects every invalid attribute and throws them together as one ContractViolation.
 */
export function eventFromStructured(value: unknown, text: string, location: EventLocation = { pointerPrefix: '', format: 'json' }): NewEvent {
  const prefix = location.pointerPrefix;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ContractViolation('INGEST_VALIDATION_FAILED', [{ pointer: prefix, detail: 'An event must be a JSON object.' }]);
  }
  const object = value as Record<string, unknown>;
  const issues: ValidationIssue[] = [];
  const at = (name: string) => `${prefix}/${pointerToken(name)}`;
  const required = location.format === 'cloudevents' ? ['specversion', 'id', 'source', 'type'] : ['type'];

  const attributes = new Map<StandardAttribute, string>();
  for (const name of STANDARD_ATTRIBUTES) {
    if (!Object.hasOwn(object, name)) {
      if (required.includes(name)) issues.push({ pointer: at(name), detail: `${name} is required.` });
      continue;
    }
    if (checkAttribute(name, object[name], { pointer: at(name), label: name }, issues)) attributes.set(name, object[name] as string);
  }
  const extensions = readExtensions(object, issues, at, prefix);
  const data = readData(object, text, attributes.get('datacontenttype'), issues, at);

  if (issues.length > 0) throw new ContractViolation('INGEST_VALIDATION_FAILED', issues);
  return toNewEvent({
    specVersion: attributes.get('specversion') ?? '1.0',
    cloudEventId: attributes.get('id'),
    source: attributes.get('source'),
    type: attributes.get('type')!,
    subject: attributes.get('subject'),
    time: attributes.get('time'),
    dataContentType: attributes.get('datacontenttype') ?? data?.defaultContentType,
    dataSchema: attributes.get('dataschema'),
    data: data?.bytes ?? null,
    extensions,
  });
}

type PointerOf = (name: string) => string;

function readExtensions(object: Record<string, unknown>, issues: ValidationIssue[], at: PointerOf, eventPointer: string) {
  const extensions: Record<string, string | number | boolean> = {};
  let count = 0;
  for (const [name, value] of Object.entries(object)) {
    if (STANDARD.has(name) || name === 'data' || name === 'data_base64') continue;
    count += 1;
    if (!EXTENSION_NAME.test(name)) {
      issues.push({
        pointer: at(name),
        detail: `Unknown attribute "${name}": extension attribute names are 1 to ${LIMITS.extensionNameMaxLength} lower-case letters and digits.`,
      });
    } else if (checkAttribute('extension', value, { pointer: at(name), label: `Extension attribute ${name}` }, issues)) {
      extensions[name] = value as string | number | boolean;
    }
  }
  if (count > LIMITS.maxExtensions) {
    issues.push({ pointer: eventPointer, detail: `An event may carry at most ${LIMITS.maxExtensions} extension attributes; this one has ${count}.` });
  }
  return extensions;
}

/**
 * Returns the data bytes exactly as sent: the source text of a JSON `data` member, the decoded bytes of
 * `data_base64`, or the UTF-8 bytes of a string `data` whose content type is not JSON.
 */
function readData(object: Record<string, unknown>, text: string, contentType: string | undefined, issues: ValidationIssue[], at: PointerOf) {
  const hasData = Object.hasOwn(object, 'data');
  const hasBase64 = Object.hasOwn(object, 'data_base64');
  if (hasData && hasBase64) {
    issues.push({ pointer: at('data_base64'), detail: 'An event carries either data or data_base64, not both.' });
    return null;
  }
  if (hasBase64) {
    const encoded = object['data_base64'];
    if (!checkAttribute('data_base64', encoded, { pointer: at('data_base64'), label: 'data_base64' }, issues)) return null;
    return { bytes: Buffer.from(encoded as string, 'base64'), defaultContentType: 'application/octet-stream' };
  }
  if (!hasData) return null;
  const value = object['data'];
  // CloudEvents JSON format: with a content type that is not JSON, a string `data` is the payload itself.
  if (contentType !== undefined && !isJsonMediaType(contentType) && typeof value === 'string') {
    if (!value.isWellFormed()) {
      issues.push({ pointer: at('data'), detail: 'Text data must not contain unpaired surrogates, because UTF-8 cannot encode them unchanged.' });
      return null;
    }
    return { bytes: Buffer.from(value, 'utf8'), defaultContentType: contentType };
  }
  const dataText = objectMemberTexts(text).get('data')!;
  return { bytes: Buffer.from(dataText, 'utf8'), defaultContentType: 'application/json' };
}
