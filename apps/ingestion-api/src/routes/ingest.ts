import { ContractViolation, isConnectionError, type ErrorCode, type InsertOutcome, type NewEvent } from '@ingestion/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { requestTraceContext } from '../http/observability.js';
import { sendProblem } from '../http/problem.js';
import { OverloadedError, type GroupCommitWriter } from '../ingest/group-commit.js';
import { parseEventBatch, parseSingleEvent } from '../ingest/parse-request.js';

export interface IngestRouteOptions {
  readonly writer: GroupCommitWriter;
  readonly batchMaxEvents: number;
  /** Time a request may wait for its commit before it fails with 503. */
  readonly commitTimeoutMs: number;
}

/** Thrown when a commit did not finish within the request's time limit. */
class CommitTimeoutError extends Error {}

export const EVENTS_PATH = '/Ingestion/events';

export function registerIngestRoutes(app: FastifyInstance, options: IngestRouteOptions): void {
  app.post('/Ingestion/ingest', async (request, reply) => {
    const result = await ingest(request, reply, options, () => [parseSingleEvent(request.body as Buffer | undefined)]);
    if (result === undefined) return reply;
    const outcome = result[0]!;
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
  });

  app.post('/Ingestion/ingest/batch', async (request, reply) => {
    const result = await ingest(request, reply, options, () => parseEventBatch(request.body as Buffer | undefined, options.batchMaxEvents));
    if (result === undefined) return reply;
    return reply.code(202).send({ results: result.map(describeOutcome) });
  });
}

function describeOutcome(outcome: InsertOutcome, index: number) {
  if (outcome.kind === 'conflict') {
    return { index, id: outcome.id, status: 'conflict', code: 'INGEST_EVENT_ID_CONFLICT' satisfies ErrorCode };
  }
  return { index, id: outcome.id, status: 'accepted', ...(outcome.kind === 'duplicate' ? { duplicate: true } : {}) };
}

/**
 * Parses and stores the events of a request. Returns their outcomes, or undefined after it sent
 * a problem response for invalid input or an unavailable database.
 */
async function ingest(
  request: FastifyRequest,
  reply: FastifyReply,
  options: IngestRouteOptions,
  parse: () => NewEvent[],
): Promise<InsertOutcome[] | undefined> {
  let events: NewEvent[];
  try {
    events = parse();
  } catch (error) {
    if (!(error instanceof ContractViolation)) throw error;
    request.log.info({ code: error.code, issues: error.issues.length }, 'ingest request rejected');
    await sendProblem(request, reply, error.code as ErrorCode, { errors: error.issues });
    return undefined;
  }
  try {
    return await withTimeout(options.writer.submit(events, requestTraceContext(request)), options.commitTimeoutMs);
  } catch (error) {
    if (error instanceof OverloadedError) {
      request.log.warn({ err: error }, 'ingest request shed: too many events waiting for the database');
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
