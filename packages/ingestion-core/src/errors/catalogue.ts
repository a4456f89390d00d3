/**
 * Every error code the HTTP API can return, with its status and what the client should do.
 * Problem details responses (RFC 9457) carry the code; the README lists this catalogue.
 */
export const ERROR_CATALOGUE = {
  INGEST_BODY_INVALID_JSON: { status: 400, title: 'Body is not valid JSON', fix: 'Send a well-formed JSON document.' },
  INGEST_BODY_ENCODING_INVALID: { status: 400, title: 'Body is not valid UTF-8', fix: 'Encode the body as UTF-8.' },
  INGEST_BODY_TOO_DEEP: { status: 400, title: 'Body nests too deeply', fix: 'Flatten the data to at most 64 levels of objects and arrays.' },
  INGEST_BODY_MISSING: { status: 400, title: 'Body is missing', fix: 'Send the event as the request body.' },
  INGEST_VALIDATION_FAILED: {
    status: 400,
    title: 'Event is invalid',
    fix: 'Correct the attributes listed in `errors`; each entry points at one with a JSON Pointer.',
  },
  INGEST_PARAMETER_INVALID: { status: 400, title: 'Path or query parameter is invalid', fix: 'Correct the parameter named in `errors`.' },
  INGEST_EVENT_NOT_FOUND: { status: 404, title: 'Event not found', fix: 'Check the id; it is the `id` returned by the ingest request.' },
  INGEST_ROUTE_NOT_FOUND: { status: 404, title: 'Route not found', fix: 'Check the method and path against the API reference.' },
  INGEST_METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed', fix: 'Use one of the methods listed in the Allow header.' },
  INGEST_EVENT_ID_CONFLICT: {
    status: 409,
    title: 'Event id already used for different content',
    fix: 'Give each distinct event its own id; resend an event only with exactly the same content.',
  },
  INGEST_BODY_TOO_LARGE: { status: 413, title: 'Body too large', fix: 'Send a smaller body, or split a batch into several requests.' },
  INGEST_BATCH_TOO_LARGE: { status: 413, title: 'Batch has too many events', fix: 'Split the batch into several requests.' },
  INGEST_MEDIA_TYPE_UNSUPPORTED: {
    status: 415,
    title: 'Unsupported media type',
    fix: 'Send Content-Type application/json or application/cloudevents+json.',
  },
  INGEST_OVERLOADED: { status: 503, title: 'Ingestion is overloaded', fix: 'Retry after the number of seconds in the Retry-After header.' },
  INGEST_DATABASE_UNAVAILABLE: {
    status: 503,
    title: 'Database unavailable',
    fix: 'Retry after the number of seconds in the Retry-After header; the event was not stored.',
  },
  INGEST_NOT_READY: { status: 503, title: 'Not ready', fix: 'Wait until PostgreSQL and RabbitMQ are reachable; the detail names the one that is not.' },
  INGEST_INTERNAL_ERROR: { status: 500, title: 'Internal error', fix: 'Report the problem with the `instance` value; the server logged it.' },
} as const satisfies Record<string, { status: number; title: string; fix: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** URI of a problem type; relative, so that it resolves against the API's own address. */
export function problemTypeUri(code: ErrorCode): string {
  return `/problems/${code.toLowerCase().replaceAll('_', '-')}`;
}
