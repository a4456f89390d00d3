import {
  arrayElementTexts,
  BINARY_MODE_HEADER,
  ContractViolation,
  eventFromBinary,
  eventFromStructured,
  mediaTypeEssence,
  nonUtf8Charset,
  parseJsonBody,
  type EventFormat,
  type NewEvent,
  type ValidationIssue,
} from '@ingestion/core';

/** Media types of the CloudEvents HTTP binding and plain JSON. */
export const MEDIA_TYPES = {
  json: 'application/json',
  structured: 'application/cloudevents+json',
  batch: 'application/cloudevents-batch+json',
} as const;

const JSON_MEDIA_TYPES: ReadonlySet<string | undefined> = new Set(Object.values(MEDIA_TYPES));

/** A parsed ingest request: one event, or a batch whose events are stored in one transaction. */
export type IngestRequest = { readonly kind: 'single'; readonly event: NewEvent } | { readonly kind: 'batch'; readonly events: NewEvent[] };

export interface RequestParts {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer | undefined;
}

export interface ParseOptions {
  /** True on the batch endpoint, which takes only arrays of events. */
  readonly batchOnly: boolean;
  readonly batchMaxEvents: number;
}

/**
 * Reads an ingest request in any content mode of the CloudEvents HTTP binding: structured
 * (`application/cloudevents+json`), batched (`application/cloudevents-batch+json`), binary (a
 * `ce-specversion` header and data of any media type), or plain `application/json`.
 * Throws ContractViolation for an unsupported media type or an invalid event.
 */
export function parseIngestRequest(request: RequestParts, options: ParseOptions): IngestRequest {
  rejectContentEncoding(request.headers['content-encoding']);
  const contentType = request.headers['content-type'];
  const essence = typeof contentType === 'string' ? mediaTypeEssence(contentType) : undefined;

  if (typeof contentType === 'string' && JSON_MEDIA_TYPES.has(essence)) rejectNonUtf8Charset(contentType);

  if (essence === MEDIA_TYPES.batch) return { kind: 'batch', events: parseEventBatch(request.body, options.batchMaxEvents, 'cloudevents') };
  if (options.batchOnly) {
    if (essence === MEDIA_TYPES.json) return { kind: 'batch', events: parseEventBatch(request.body, options.batchMaxEvents, 'json') };
    throw unsupportedMediaType(contentType, [MEDIA_TYPES.batch, MEDIA_TYPES.json]);
  }
  if (essence === MEDIA_TYPES.structured) return { kind: 'single', event: parseSingleEvent(request.body, 'cloudevents') };
  if (request.headers[BINARY_MODE_HEADER] !== undefined) {
    return { kind: 'single', event: eventFromBinary({ headers: request.headers, body: request.body ?? Buffer.alloc(0) }) };
  }
  if (essence === MEDIA_TYPES.json) return { kind: 'single', event: parseSingleEvent(request.body, 'json') };
  throw unsupportedMediaType(contentType, [MEDIA_TYPES.structured, MEDIA_TYPES.batch, MEDIA_TYPES.json, `any type with a ${BINARY_MODE_HEADER} header`]);
}

/**
 * Rejects a compressed body. The API reads bodies as sent, so a gzip body would otherwise fail as
 * invalid UTF-8, and a body only labelled as compressed would be stored as if it were plain.
 */
function rejectContentEncoding(encoding: string | string[] | undefined): void {
  if (encoding === undefined || (typeof encoding === 'string' && ['', 'identity'].includes(encoding.trim().toLowerCase()))) return;
  throw new ContractViolation('INGEST_MEDIA_TYPE_UNSUPPORTED', [
    { pointer: '', header: 'content-encoding', detail: `Content-Encoding ${String(encoding)} is not supported; send the body uncompressed.` },
  ]);
}

/**
 * Rejects a JSON body labelled with a charset other than UTF-8, in any content mode, because the API
 * reads JSON as UTF-8 and would otherwise misread it or reject it as invalid UTF-8.
 */
export function rejectNonUtf8Charset(contentType: string): void {
  const charset = nonUtf8Charset(contentType);
  if (charset === undefined) return;
  throw new ContractViolation('INGEST_MEDIA_TYPE_UNSUPPORTED', [
    { pointer: '', header: 'content-type', detail: `Charset ${charset} is not supported; send JSON as UTF-8 (RFC 8259).` },
  ]);
}

/** Builds the 415 for a request whose Content-Type is missing or not one of `accepted`. */
export function unsupportedMediaType(contentType: string | string[] | undefined, accepted: string[]): ContractViolation {
  const sent = typeof contentType === 'string' ? `Content-Type ${contentType} is not accepted here` : 'The request has no Content-Type';
  return new ContractViolation('INGEST_MEDIA_TYPE_UNSUPPORTED', [
    { pointer: '', header: 'content-type', detail: `${sent}; send ${accepted.join(', or ')}.` },
  ]);
}

function parseSingleEvent(body: Buffer | undefined, format: EventFormat): NewEvent {
  const { value, text } = parseJsonBody(requireBody(body));
  return eventFromStructured(value, text, { pointerPrefix: '', format });
}

/**
 * Reads a batch: a JSON array of events. Every invalid event is reported, each issue pointing
 * into the array, and no event of an invalid batch is stored.
 */
function parseEventBatch(body: Buffer | undefined, maxEvents: number, format: EventFormat): NewEvent[] {
  const { value, text } = parseJsonBody(requireBody(body));
  if (!Array.isArray(value)) {
    throw new ContractViolation('INGEST_BATCH_INVALID', [{ pointer: '', detail: 'A batch must be a JSON array of events.' }]);
  }
  if (value.length === 0) {
    throw new ContractViolation('INGEST_BATCH_INVALID', [{ pointer: '', detail: 'A batch must contain at least one event.' }]);
  }
  if (value.length > maxEvents) {
    throw new ContractViolation('INGEST_BATCH_TOO_LARGE', [
      { pointer: '', detail: `The batch contains ${value.length} events; the limit is ${maxEvents}.` },
    ]);
  }
  const texts = arrayElementTexts(text);
  const events: NewEvent[] = [];
  const issues: ValidationIssue[] = [];
  value.forEach((element, index) => {
    try {
      events.push(eventFromStructured(element, texts[index]!, { pointerPrefix: `/${index}`, format }));
    } catch (error) {
      if (!(error instanceof ContractViolation)) throw error;
      issues.push(...error.issues);
    }
  });
  if (issues.length > 0) throw new ContractViolation('INGEST_VALIDATION_FAILED', issues);
  return events;
}

function requireBody(body: Buffer | undefined): Buffer {
  if (body === undefined || body.length === 0) {
    throw new ContractViolation('INGEST_BODY_MISSING', [{ pointer: '', detail: 'The request has no body.' }]);
  }
  return body;
}
