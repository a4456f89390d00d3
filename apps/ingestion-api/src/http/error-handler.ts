import { ERROR_CATALOGUE, isConnectionError, type ErrorCode } from '@ingestion/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { sendProblem } from './problem.js';
import { ParameterError } from './validation.js';

/** Maximum length of a path parameter, such as an event id; longer ones are rejected before routing. */
export const MAX_PARAM_LENGTH = 200;

/** Fastify's own error codes for bad requests, mapped to the catalogue. */
const FASTIFY_ERRORS: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'INGEST_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INGEST_BODY_INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INGEST_BODY_MISSING',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INGEST_BODY_INVALID_JSON',
  FST_ERR_VALIDATION: 'INGEST_PARAMETER_INVALID',
  FST_ERR_BAD_URL: 'INGEST_PARAMETER_INVALID',
  FST_ERR_MAX_PARAM_LENGTH: 'INGEST_PARAMETER_INVALID',
};

/** Details that replace Fastify's message, which for these codes would only repeat the whole path. */
const FASTIFY_DETAILS: Record<string, string> = {
  FST_ERR_MAX_PARAM_LENGTH: `A path parameter is longer than ${MAX_PARAM_LENGTH} characters. Send the event id that the ingest request returned.`,
  // NOTE: this answer has no `errors` entry, because the router fails before it knows which parameter was bad.
  FST_ERR_BAD_URL: 'A path parameter contains an invalid percent-encoding (RFC 3986). Send the event id that the ingest request returned.',
};

/**
 * Turns any error into a problem details response: client errors keep their 4xx status, an
 * unreachable database becomes 503, and only a real bug becomes a 500 (logged at error). It serves
 * as the error handler and as the `frameworkErrors` server option, which receives the errors that
 * Fastify's router raises before a route runs (a bad percent-encoding, a path parameter over MAX_PARAM_LENGTH).
 */
export function sendErrorProblem(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof ParameterError) {
    request.log.info({ code: 'INGEST_PARAMETER_INVALID' }, 'request rejected');
    return sendProblem(request, reply, 'INGEST_PARAMETER_INVALID', { errors: error.issues });
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    request.log.info({ code: error.code }, 'request rejected');
    const detail = `Content-Type ${String(request.headers['content-type'])} is not a valid media type; send a type and subtype, such as application/json.`;
    return sendProblem(request, reply, 'INGEST_MEDIA_TYPE_UNSUPPORTED', { errors: [{ pointer: '', header: 'content-type', detail }] });
  }
  const mapped = FASTIFY_ERRORS[error.code];
  if (mapped !== undefined) {
    request.log.info({ code: error.code }, 'request rejected');
    // Fastify's message names the problem and the catalogue adds the fix, unless FASTIFY_DETAILS replaces both.
    const detail = FASTIFY_DETAILS[error.code] ?? `${error.message.replace(/\.$/, '')}. ${ERROR_CATALOGUE[mapped].fix}`;
    return sendProblem(request, reply, mapped, { detail });
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    request.log.info({ err: error }, 'request rejected');
    return sendProblem(request, reply, 'INGEST_VALIDATION_FAILED', { detail: error.message });
  }
  if (isConnectionError(error)) {
    request.log.warn({ err: error }, 'request failed: database unavailable');
    return sendProblem(request, reply, 'INGEST_DATABASE_UNAVAILABLE', { retryAfterSeconds: 5 });
  }
  request.log.error({ err: error }, 'request failed');
  return sendProblem(request, reply, 'INGEST_INTERNAL_ERROR');
}

/** Sends problem details for every error and for unknown routes. */
export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler(sendErrorProblem);

  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, 'INGEST_ROUTE_NOT_FOUND', { detail: `No route ${request.method} ${request.url.split('?', 1)[0]}.` }),
  );
}
