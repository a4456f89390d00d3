import { LIMITS } from '../contract/limits.js';

/**
 * Every error code the HTTP API can return, with its status and what the client should do.
 * Problem details responses (RFC 9457) carry the code. docs/errors.md is generated from this catalogue
 * by `npm run docs:errors`, and a test fails when it is out of date.
 */
export const ERROR_CATALOGUE = {
  INGEST_BODY_INVALID_JSON: {
    status: 400,
    title: 'Body is not valid JSON',
    fix: 'Send a well-formed JSON document (RFC 8259). In binary mode with a JSON Content-Type, the body is the data and must be JSON too.',
  },
  INGEST_BODY_ENCODING_INVALID: { status: 400, title: 'Body is not valid UTF-8', fix: 'Encode JSON bodies as UTF-8 without invalid byte sequences.' },
  INGEST_BODY_TOO_DEEP: {
    status: 400,
    title: 'Body nests too deeply',
    fix: `Flatten the document to at most ${LIMITS.maxNestingDepth} levels of nested objects and arrays.`,
  },
  INGEST_BODY_MISSING: { status: 400, title: 'Body is missing', fix: 'Send the event, or the array of events, as the request body.' },
  INGEST_VALIDATION_FAILED: {
    status: 400,
    title: 'Event is invalid',
    fix: 'Correct each attribute listed in `errors`: `pointer` is a JSON Pointer to it, `header` names the HTTP header in binary mode.',
  },
  INGEST_PARAMETER_INVALID: { status: 400, title: 'Path or query parameter is invalid', fix: 'Correct the parameter named in `errors`.' },
  INGEST_REQUEST_MALFORMED: {
    status: 400,
    title: 'Request is not valid HTTP',
    fix: 'Send a request that follows HTTP/1.1 (RFC 9112): a Content-Length equal to the body length, and well-formed headers. The connection is closed, so send the request again on a new one.',
  },
  INGEST_REQUEST_TIMEOUT: {
    status: 408,
    title: 'Request timed out',
    fix: 'Send the whole request, headers and body, within the server request timeout, then retry it on a new connection.',
  },
  INGEST_HEADERS_TOO_LARGE: {
    status: 431,
    title: 'Request headers are too large',
    fix: 'Keep the request line and headers together under 16 KiB, the Node.js default limit.',
  },
  INGEST_API_KEY_MISSING: {
    status: 401,
    title: 'API key missing',
    fix: 'Send a key as `Authorization: Bearer <key>`; an operator creates one with `npm run keys -- create`.',
  },
  INGEST_API_KEY_INVALID: {
    status: 401,
    title: 'API key invalid',
    fix: 'The key is unknown or revoked: check that it was copied whole, or ask an operator for a new one.',
  },
  INGEST_SCOPE_MISSING: {
    status: 403,
    title: 'API key lacks a scope',
    fix: 'Use a key with the scope named in `detail` (ingest, read or admin), or ask an operator to create one.',
  },
  INGEST_EVENT_NOT_FOUND: { status: 404, title: 'Event not found', fix: 'Check the id; it is the `id` returned by the ingest request.' },
  INGEST_ROUTE_NOT_FOUND: { status: 404, title: 'Route not found', fix: 'Check the method and path against the API reference at /docs.' },
  INGEST_METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed', fix: 'Use one of the methods listed in the Allow header.' },
  INGEST_EVENT_ID_CONFLICT: {
    status: 409,
    title: 'Event id already used for different content',
    fix: 'Give each distinct event its own id; resend an event only with exactly the same content.',
  },
  INGEST_REPLAY_FILTER_INVALID: {
    status: 400,
    title: 'Replay filter is invalid',
    fix: 'Send a JSON object with at least one of `type`, `from` and `to`, and correct each member listed in `errors`.',
  },
  INGEST_EVENT_NOT_FAILED: {
    status: 409,
    title: 'Event is not failed',
    fix: 'Only a failed event can be replayed; read its status with GET /Ingestion/events/{id}.',
  },
  INGEST_BODY_TOO_LARGE: {
    status: 413,
    title: 'Body too large',
    fix: 'Send a smaller body (the limit is INGEST_BODY_LIMIT_BYTES, 1 MiB by default), or split a batch into several requests.',
  },
  INGEST_BATCH_INVALID: {
    status: 400,
    title: 'Batch is empty or not an array',
    fix: 'Send the batch as a JSON array of 1 to INGEST_BATCH_MAX_EVENTS events (1000 by default), each a JSON object.',
  },
  INGEST_BATCH_TOO_LARGE: {
    status: 413,
    title: 'Batch contains too many events',
    fix: 'Split the batch into requests of at most INGEST_BATCH_MAX_EVENTS events (1000 by default).',
  },
  INGEST_MEDIA_TYPE_UNSUPPORTED: {
    status: 415,
    title: 'Unsupported media type',
    fix: 'Send application/cloudevents+json, application/cloudevents-batch+json or application/json, or any type in binary mode with ce-* headers.',
  },
  INGEST_RATE_LIMITED: {
    status: 429,
    title: 'Rate limit exceeded',
    fix: 'Wait the number of seconds in Retry-After; the RateLimit and RateLimit-Policy headers show the quota. Nothing was stored.',
  },
  INGEST_OVERLOADED: { status: 503, title: 'Ingestion is overloaded', fix: 'Retry after the number of seconds in the Retry-After header.' },
  INGEST_DATABASE_UNAVAILABLE: {
    status: 503,
    title: 'Database unavailable',
    fix: 'Retry after the number of seconds in the Retry-After header; the event was not stored.',
  },
  INGEST_NOT_READY: {
    status: 503,
    title: 'Not ready',
    fix: 'Wait until PostgreSQL and RabbitMQ are reachable and the instance is not shutting down; the detail names the reason.',
  },
  INGEST_INTERNAL_ERROR: { status: 500, title: 'Internal error', fix: 'Report the problem with the `requestId` value; the server logged it.' },
} as const satisfies Record<string, { status: number; title: string; fix: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** URI of a problem type; relative, so that it resolves against the API's own address. */
export function problemTypeUri(code: ErrorCode): string {
  return `/problems/${code.toLowerCase().replaceAll('_', '-')}`;
}
