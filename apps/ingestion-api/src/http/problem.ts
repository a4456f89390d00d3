import { ERROR_CATALOGUE, problemTypeUri, type ErrorCode, type ValidationIssue } from '@ingestion/core';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Problem details object of RFC 9457, with the error code and the invalid fields as extensions. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: ErrorCode;
  requestId: string;
  errors?: readonly ValidationIssue[];
}

export interface ProblemOptions {
  readonly detail?: string;
  readonly errors?: readonly ValidationIssue[];
  readonly retryAfterSeconds?: number;
  readonly headers?: Record<string, string>;
}

/** Error code of the problem response of each failed request, for the request metrics. */
const problemCodes = new WeakMap<FastifyRequest, ErrorCode>();

/** Returns the error code of the problem sent for a request, or undefined when it succeeded. */
export function problemCodeOf(request: FastifyRequest): ErrorCode | undefined {
  return problemCodes.get(request);
}

/** Builds the members of a problem document that follow from its code: type, title, status, detail and code. */
export function catalogueProblem(code: ErrorCode, detail?: string): Pick<ProblemDetails, 'type' | 'title' | 'status' | 'detail' | 'code'> {
  const entry = ERROR_CATALOGUE[code];
  return { type: problemTypeUri(code), title: entry.title, status: entry.status, detail: detail ?? `${entry.title}. ${entry.fix}`, code };
}

/**
 * Returns the detail of a 415 from its first issue, which names what the route accepts, because the
 * catalogue's fix lists the media types of the ingest endpoint and would contradict it on other routes.
 */
function mediaTypeDetail(code: ErrorCode, errors: readonly ValidationIssue[] | undefined): string | undefined {
  const first = errors?.[0];
  if (code !== 'INGEST_MEDIA_TYPE_UNSUPPORTED' || first === undefined) return undefined;
  return `${ERROR_CATALOGUE[code].title}. ${first.detail}`;
}

/** Sends an `application/problem+json` response for a catalogued error code. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, code: ErrorCode, options: ProblemOptions = {}) {
  problemCodes.set(request, code);
  const detail = options.detail ?? mediaTypeDetail(code, options.errors);
  const problem: ProblemDetails = { ...catalogueProblem(code, detail), instance: request.url.split('?', 1)[0]!, requestId: request.id };
  if (options.errors !== undefined && options.errors.length > 0) problem.errors = options.errors;
  if (options.retryAfterSeconds !== undefined) reply.header('retry-after', String(options.retryAfterSeconds));
  for (const [name, value] of Object.entries(options.headers ?? {})) reply.header(name, value);
  return reply.code(problem.status).type('application/problem+json').send(problem);
}
