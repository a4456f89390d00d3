import {
  backoffDelay,
  extractTraceHeaders,
  isPending,
  isPermanentError,
  toError,
  traceIdOf,
  traceparentOf,
  withTransaction,
  type BackoffOptions,
  type DeliveredEvent,
  type EventEnvelope,
  type HandlerEvent,
  type Logger,
} from '@ingestion/core';
import { context } from '@opentelemetry/api';
import type { Message } from 'amqplib';
import type pg from 'pg';

import type { HandlerRegistry } from '../handlers/registry.js';
import type { AttemptOutcome, WorkerMetrics } from '../metrics/worker-metrics.js';
import { endSpan, startDeliveryTrace, startHandlerTrace, type DeliveryTrace } from './delivery-trace.js';
import { lockEvents, markFailed, markProcessed, scheduleRetry, type LockedEvent } from './event-outcomes.js';
import { SavepointClient } from './savepoint-client.js';

/** An event to process and the message that brought it, which may contain other events too. */
export interface InboundEvent {
  readonly event: DeliveredEvent;
  readonly message: Message;
}

/** The consumer's action on an event once its batch committed. */
export type Verdict = { readonly action: 'ack' } | { readonly action: 'dead-letter'; readonly reason: string };

export interface ProcessorOptions {
  readonly maxAttempts: number;
  readonly retryBackoff: BackoffOptions;
  readonly handlerTimeoutMs: number;
}

const ACK: Verdict = { action: 'ack' };

/** A handler attempt, recorded in the metrics once its transaction committed. */
interface Attempt {
  readonly envelope: EventEnvelope;
  readonly outcome: AttemptOutcome;
  readonly seconds: number;
}

/**
 * Runs the handlers of a batch of messages in one PostgreSQL transaction, together with the
 * outcome of each event, and returns what to do with each message after the commit. Each handler
 * runs in its own savepoint, so a failing handler undoes only its own writes.
 *
 * Exactly-once effects: every event row carries the number of the delivery it expects next
 * (delivery_seq). A message is handled only when its number matches and the event is still pending,
 * and the same transaction advances the number. A redelivered, duplicated or concurrently handled
 * copy therefore finds the number advanced and is acknowledged without running the handler again.
 *
 * Throws when the transaction itself fails (database unreachable); nothing is then committed and
 * the caller retries the whole batch.
 *
 * Tracing: each delivery gets a consumer span, a child of the relay's publish span, which lasts until
 * the batch committed. Each handler attempt is a child span of it. A retry or dead-letter row stores
 * the consumer span's context, so the next delivery continues the same trace.
 */
export class BatchProcessor {
  private readonly pool: pg.Pool;
  private readonly registry: HandlerRegistry;
  private readonly options: ProcessorOptions;
  private readonly logger: Logger;
  private readonly metrics: WorkerMetrics | undefined;

  constructor(pool: pg.Pool, registry: HandlerRegistry, options: ProcessorOptions, logger: Logger, metrics?: WorkerMetrics) {
    this.pool = pool;
    this.registry = registry;
    this.options = options;
    this.logger = logger;
    this.metrics = metrics;
  }

  /** Processes the events in one transaction and returns a verdict for each, in order. */
  async process(events: readonly InboundEvent[]): Promise<Verdict[]> {
    const verdicts: Verdict[] = events.map(() => ACK);
    const traces = events.map(({ event, message }) => startDeliveryTrace(message, event));
    const attempts: Attempt[] = [];
    try {
      await withTransaction(this.pool, (client) => this.handleAll(client, events, traces, verdicts, attempts));
    } catch (caught) {
      for (const trace of traces) endSpan(trace.span, toError(caught));
      throw caught;
    }
    for (const trace of traces) endSpan(trace.span);
    for (const attempt of attempts) this.metrics?.recordAttempt(attempt.envelope.type, attempt.outcome, attempt.seconds, attempt.envelope.receivedAt);
    return verdicts;
  }

  /**
   * Marks an event failed without running its handler, for an event whose batch transaction keeps
   * failing. Its dead-letter copy is queued through the outbox as usual. Returns false when the event
   * is gone or no longer pending.
   */
  async failWithoutHandler({ event }: InboundEvent, error: Error): Promise<boolean> {
    const { envelope } = event;
    const failed = await withTransaction(this.pool, async (client) => {
      const row = (await lockEvents(client, [envelope.eventId])).get(envelope.eventId);
      if (row === undefined || !isPending(row.status) || row.deliverySeq !== envelope.deliverySeq) return false;
      const traceparent = traceparentOf(extractTraceHeaders(event.traceHeaders));
      await markFailed(client, { eventId: envelope.eventId, attempt: row.attempts + 1, error, permanent: true, traceparent });
      this.logger.error({ err: error, eventId: envelope.eventId, traceId: traceIdOf(traceparent) }, 'event marked failed: its transaction kept failing');
      return true;
    });
    if (failed) this.metrics?.recordDeadLettered(envelope.type, 'failed');
    return failed;
  }

  /** Runs the handler of every pending event of a batch inside the batch's transaction. */
  private async handleAll(
    client: pg.PoolClient,
    events: readonly InboundEvent[],
    traces: readonly DeliveryTrace[],
    verdicts: Verdict[],
    attempts: Attempt[],
  ): Promise<void> {
    const rows = await lockEvents(client, [...new Set(events.map(({ event }) => event.envelope.eventId))]);
    const processed: string[] = [];
    for (const [index, { event }] of events.entries()) {
      const { envelope } = event;
      const row = rows.get(envelope.eventId);
      if (row === undefined) {
        verdicts[index] = { action: 'dead-letter', reason: `No event with id ${envelope.eventId} exists` };
        continue;
      }
      const trace = traces[index]!;
      if (!isPending(row.status) || row.deliverySeq !== envelope.deliverySeq) {
        context.with(trace.context, () =>
          this.logger.debug({ eventId: envelope.eventId, deliverySeq: envelope.deliverySeq }, 'duplicate delivery skipped'),
        );
        trace.span.setAttribute('ingestion.duplicate', true);
        this.metrics?.recordDuplicate();
        continue;
      }
      const attempt = await context.with(trace.context, () => this.runHandler(client, envelope, row, trace));
      attempts.push(attempt);
      if (attempt.outcome === 'processed') processed.push(envelope.eventId);
      // Any later copy of this message in the same batch is now a duplicate.
      const status = attempt.outcome === 'processed' ? 'processed' : row.status;
      rows.set(envelope.eventId, { ...row, deliverySeq: row.deliverySeq + 1, status });
    }
    await markProcessed(client, processed);
  }

  /** Runs one handler attempt in a savepoint and records a failure; returns the attempt's outcome. */
  private async runHandler(client: pg.PoolClient, envelope: EventEnvelope, row: LockedEvent, delivery: DeliveryTrace): Promise<Attempt> {
    const attempt = row.attempts + 1;
    const handler = this.registry.handlerFor(envelope.type);
    const log = this.logger.child({ eventId: envelope.eventId, type: envelope.type, attempt });
    const db = new SavepointClient(client);
    const trace = startHandlerTrace(delivery, envelope, attempt);
    const started = performance.now();
    const finish = (outcome: AttemptOutcome): Attempt => ({ envelope, outcome, seconds: (performance.now() - started) / 1000 });
    try {
      await context.with(trace.context, () => this.withHandlerTimeout(handler.handle(toHandlerEvent(envelope, attempt), { db, logger: log })));
      await db.release();
      endSpan(trace.span);
      return finish('processed');
    } catch (caught) {
      const error = toError(caught);
      endSpan(trace.span, error);
      await db.rollback();
      const permanent = isPermanentError(error);
      const failure = { eventId: envelope.eventId, attempt, error, permanent, traceparent: traceparentOf(delivery.context) };
      if (permanent || attempt >= this.options.maxAttempts) {
        log.warn({ err: error, permanent }, 'handler failed; event marked failed and dead-lettered');
        await markFailed(client, failure);
        return finish('failed');
      }
      const retryInMs = backoffDelay(attempt, this.options.retryBackoff);
      log.info({ err: error, retryInMs }, 'handler failed; retry scheduled');
      await scheduleRetry(client, failure, retryInMs);
      return finish('retry');
    }
  }

  private withHandlerTimeout(work: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const ms = this.options.handlerTimeoutMs;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Handler timed out after ${ms} ms`)), ms);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }
}

function toHandlerEvent(envelope: EventEnvelope, attempt: number): HandlerEvent {
  return {
    id: envelope.eventId,
    cloudEventId: envelope.cloudEventId,
    type: envelope.type,
    source: envelope.source,
    subject: envelope.subject,
    time: envelope.time,
    dataContentType: envelope.dataContentType,
    data: envelope.data,
    extensions: envelope.extensions,
    attempt,
  };
}
