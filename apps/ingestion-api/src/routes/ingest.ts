import { ContractViolation, isConnectionError, type ErrorCode, type InsertOutcome, type NewEvent } from '@ingestion/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { requireScope } from '../auth/authentication.js';
import {
  AcceptedSchema,
  AUTH_RESPONSES,
  BatchAcceptedSchema,
  batchIngestBody,
  ingestHeaders,
  problemResponse,
  singleIngestBody,
} from '../http/api-schemas.js';
import { requestTraceContext } from '../http/observability.js';
import { sendProblem } from '../http/problem.js';
import { OverloadedError, type GroupCommitWriter } from '../ingest/group-commit.js';
import { parseIngestRequest, type IngestRequest } from '../ingest/parse-request.js';
import { logShedRequest } from '../ingest/shed-log.js';

export interface IngestRouteOptions {
  readonly writer: GroupCommitWriter;
  readonly batchMaxEvents: number;
  /** Time a request may wait for its commit before it fails with 503. */
  readonly commitTimeoutMs: number;
}

/** Thrown when a commit did not finish within the request's time limit. */
class CommitTimeoutError extends Error {}

export const EVENTS_PATH = '/Ingestion/events';
export const INGEST_PATH = '/Ingestion/ingest';
export const BATCH_PATH = '/Ingestion/ingest/batch';

const INGEST_ERRORS = {
  ...AUTH_RESPONSES,
  400: problemResponse('The body or an attribute is invalid; `errors` points at each.'),
  413: problemResponse('The body or the batch is over its limit.'),
  415: problemResponse('The Content-Type is not accepted.'),
  503: problemResponse('The database is unavailable or ingestion is overloaded; see Retry-After. Nothing was stored.'),
};

export function registerIngestRoutes(app: FastifyInstance, options: IngestRouteOptions): void {
  app.post(
    INGEST_PATH,
    {
      onRequest: requireScope('ingest'),
      schema: {
        summary: 'Ingest one event, or a batch',
        description:
          'Accepts a CloudEvent in structured mode, binary mode (ce-* headers) or as plain JSON, or a batch with ' +
          'Content-Type application/cloudevents-batch+json. Answers 202 once the event is committed to PostgreSQL.',
        tags: ['ingest'],
        headers: ingestHeaders,
        body: singleIngestBody(),
        response: {
          202: { description: 'Stored; the Location header is the status resource.', content: { 'application/json': { schema: AcceptedSchema } } },
          409: problemResponse('The source and id belong to an event with different content.'),
          ...INGEST_ERRORS,
        },
      },
    },
    async (request, reply) => {
      const parsed = parseRequest(request, reply, options, false);
      if (parsed === undefined) return reply;
      if (parsed.kind === 'batch') return sendBatchOutcomes(request, reply, options, parsed.events);

      const outcomes = await store(request, reply, options, [parsed.event]);
      if (outcomes === undefined) return reply;
      const outcome = outcomes[0]!;
      if (outcome.kind === 'conflict') {
        return sendProblem(request, reply, 'INGEST_EVENT_ID_CONFLICT', {
          detail: `Event ${outcome.id} was stored earlier with the same source and id but different content.`,
          errors: [{ pointer: '/id', detail: 'This id is already used by another event from the same source.' }],
        });
      }
      return reply
        .code(202)
        .header('location', `${EVENTS_PATH}/${outcome.id}`)
        .send({ id: outcome.id, status: 'accepted', ...(outcome.kind === 'duplicate' ? { duplicate: true } : {}) });
    },
  );

  app.post(
    BATCH_PATH,
    {
      onRequest: requireScope('ingest'),
      schema: {
        summary: 'Ingest a batch of events',
        description: 'Stores every event of the batch in one transaction, or none when one is invalid.',
        tags: ['ingest'],
        body: batchIngestBody(),
        response: {
          202: { description: 'Stored; one result per event, in order.', content: { 'application/json': { schema: BatchAcceptedSchema } } },
          ...INGEST_ERRORS,
        },
      },
    },
    async (request, reply) => {
      const parsed = parseRequest(request, reply, options, true);
      if (parsed === undefined) return reply;
      return sendBatchOutcomes(request, reply, options, parsed.kind === 'batch' ? parsed.events : [parsed.event]);
    },
  );
}

async function sendBatchOutcomes(request: FastifyRequest, reply: FastifyReply, options: IngestRouteOptions, events: NewEvent[]) {
  const outcomes = await store(request, reply, options, events);
  if (outcomes === undefined) return reply;
  return reply.code(202).send({ results: outcomes.map(describeOutcome) });
}

function describeOutcome(outcome: InsertOutcome, index: number) {
  if (outcome.kind === 'conflict') {
    return { index, id: outcome.id, status: 'conflict', code: 'INGEST_EVENT_ID_CONFLICT' satisfies ErrorCode };
  }
  return { index, id: outcome.id, status: 'accepted', ...(outcome.kind === 'duplicate' ? { duplicate: true } : {}) };
}

/** Parses the request, or sends a problem response for invalid input and returns undefined. */
function parseRequest(request: FastifyRequest, reply: FastifyReply, options: IngestRouteOptions, batchOnly: boolean): IngestRequest | undefined {
  try {
    return parseIngestRequest({ headers: request.headers, body: request.body as Buffer | undefined }, { batchOnly, batchMaxEvents: options.batchMaxEvents });
  } catch (error) {
    if (!(error instanceof ContractViolation)) throw error;
    request.log.info({ code: error.code, issues: error.issues.length }, 'ingest request rejected');
    // RFC 9110 says a 415 for a content coding should list the accepted codings, here only the identity.
    const headers = error.issues.some((issue) => issue.header === 'content-encoding') ? { 'accept-encoding': 'identity' } : undefined;
    void sendProblem(request, reply, error.code as ErrorCode, { errors: error.issues, headers });
    return undefined;
  }
}

/**
 * Stores the events of a request. Returns their outcomes, or undefined after it sent a problem
 * response because the database is unavailable or overloaded.
 */
async function store(request: FastifyRequest, reply: FastifyReply, options: IngestRouteOptions, events: NewEvent[]): Promise<InsertOutcome[] | undefined> {
  try {
    return await withTimeout(options.writer.submit(events, requestTraceContext(request)), options.commitTimeoutMs);
  } catch (error) {
    if (error instanceof OverloadedError) {
      logShedRequest(request.log, error);
      await sendProblem(request, reply, 'INGEST_OVERLOADED', { retryAfterSeconds: 1 });
      return undefined;
    }
    if (error instanceof CommitTimeoutError || isConnectionError(error)) {
      request.log.warn({ err: error }, 'ingest request failed: database unavailable');
      await sendProblem(request, reply, 'INGEST_DATABASE_UNAVAILABLE', { retryAfterSeconds: 5 });
      return undefined;
    }
    throw error;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CommitTimeoutError(`The database did not commit within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
