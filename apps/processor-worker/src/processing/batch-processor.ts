import {
  backoffDelay,
  fromMessage,
  isPending,
  isPermanentError,
  toError,
  withTransaction,
  type BackoffOptions,
  type EventEnvelope,
  type HandlerEvent,
  type Logger,
} from '@ingestion/core';
import type { Message } from 'amqplib';
import type pg from 'pg';

import type { HandlerRegistry } from '../handlers/registry.js';
import { lockEvents, markFailed, markProcessed, scheduleRetry, type LockedEvent } from './event-outcomes.js';
import { SavepointClient } from './savepoint-client.js';

/** Action the consumer takes on a message once its batch committed. */
export type Verdict = { readonly action: 'ack' } | { readonly action: 'dead-letter'; readonly reason: string };

export interface ProcessorOptions {
  readonly maxAttempts: number;
  readonly retryBackoff: BackoffOptions;
  readonly handlerTimeoutMs: number;
}

const ACK: Verdict = { action: 'ack' };

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
 */
export class BatchProcessor {
  private readonly pool: pg.Pool;
  private readonly registry: HandlerRegistry;
  private readonly options: ProcessorOptions;
  private readonly logger: Logger;

  constructor(pool: pg.Pool, registry: HandlerRegistry, options: ProcessorOptions, logger: Logger) {
    this.pool = pool;
    this.registry = registry;
    this.options = options;
    this.logger = logger;
  }

  async process(messages: readonly Message[]): Promise<Verdict[]> {
    const verdicts: Verdict[] = [];
    const parsed: { index: number; envelope: EventEnvelope }[] = [];
    for (const [index, message] of messages.entries()) {
      try {
        parsed.push({ index, envelope: fromMessage(message) });
        verdicts.push(ACK);
      } catch (error) {
        verdicts.push({ action: 'dead-letter', reason: toError(error).message });
      }
    }
    if (parsed.length === 0) return verdicts;

    await withTransaction(this.pool, async (client) => {
      const rows = await lockEvents(client, [...new Set(parsed.map((item) => item.envelope.eventId))]);
      const processed: string[] = [];
      for (const { index, envelope } of parsed) {
        const row = rows.get(envelope.eventId);
        if (row === undefined) {
          verdicts[index] = { action: 'dead-letter', reason: `No event with id ${envelope.eventId} exists` };
          continue;
        }
        if (!isPending(row.status) || row.deliverySeq !== envelope.deliverySeq) {
          this.logger.debug({ eventId: envelope.eventId, deliverySeq: envelope.deliverySeq }, 'duplicate delivery skipped');
          continue;
        }
        const succeeded = await this.runHandler(client, envelope, row);
        if (succeeded) processed.push(envelope.eventId);
        // Any later copy of this message in the same batch is now a duplicate.
        rows.set(envelope.eventId, { ...row, deliverySeq: row.deliverySeq + 1, status: succeeded ? 'processed' : row.status });
      }
      await markProcessed(client, processed);
    });
    return verdicts;
  }

  /**
   * Marks the event of a message failed without running its handler, for a message whose batch
   * transaction keeps failing. The event's dead-letter copy is queued through the outbox as usual.
   * Returns false when the message is not one of ours or its event is gone or no longer pending.
   */
  async failWithoutHandler(message: Message, error: Error): Promise<boolean> {
    const envelope = fromMessage(message);
    return withTransaction(this.pool, async (client) => {
      const row = (await lockEvents(client, [envelope.eventId])).get(envelope.eventId);
      if (row === undefined || !isPending(row.status) || row.deliverySeq !== envelope.deliverySeq) return false;
      await markFailed(client, { eventId: envelope.eventId, attempt: row.attempts + 1, error, permanent: true });
      this.logger.error({ err: error, eventId: envelope.eventId }, 'event marked failed: its transaction kept failing');
      return true;
    });
  }

  /** Runs one handler attempt in a savepoint and records a failure; returns whether it succeeded. */
  private async runHandler(client: pg.PoolClient, envelope: EventEnvelope, row: LockedEvent): Promise<boolean> {
    const attempt = row.attempts + 1;
    const handler = this.registry.handlerFor(envelope.type);
    const log = this.logger.child({ eventId: envelope.eventId, type: envelope.type, attempt });
    const db = new SavepointClient(client);
    try {
      await this.withHandlerTimeout(handler.handle(toHandlerEvent(envelope, attempt), { db, logger: log }));
      await db.release();
      return true;
    } catch (caught) {
      const error = toError(caught);
      await db.rollback();
      const permanent = isPermanentError(error);
      const failure = { eventId: envelope.eventId, attempt, error, permanent };
      if (permanent || attempt >= this.options.maxAttempts) {
        log.warn({ err: error, permanent }, 'handler failed; event marked failed and dead-lettered');
        await markFailed(client, failure);
      } else {
        const retryInMs = backoffDelay(attempt, this.options.retryBackoff);
        log.info({ err: error, retryInMs }, 'handler failed; retry scheduled');
        await scheduleRetry(client, failure, retryInMs);
      }
      return false;
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
