import type { EventStatus } from '@ingestion/core';
import type { ClientBase } from 'pg';

/** The processing state of an event, read under a row lock. */
export interface LockedEvent {
  readonly status: EventStatus;
  readonly deliverySeq: number;
  readonly attempts: number;
}

/** Maximum length of an error message kept in an event's error history, in characters. */
const ERROR_MESSAGE_MAX_LENGTH = 2_000;

/**
 * Locks the rows of the given events until the transaction ends. Rows are locked in id order, so two
 * workers locking overlapping batches cannot deadlock. A worker that gets a copy of a message another
 * worker is handling waits here, then reads the outcome and skips the copy.
 */
export async function lockEvents(client: ClientBase, ids: readonly string[]): Promise<Map<string, LockedEvent>> {
  const result = await client.query<{ id: string; status: EventStatus; delivery_seq: number; attempts: number }>({
    name: 'lock-events',
    text: 'SELECT id, status, delivery_seq, attempts FROM events WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE',
    values: [ids],
  });
  return new Map(result.rows.map((row) => [row.id, { status: row.status, deliverySeq: row.delivery_seq, attempts: row.attempts }]));
}

/** Marks events processed; advancing delivery_seq makes any later copy of their message a duplicate. */
export async function markProcessed(client: ClientBase, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await client.query({
    name: 'mark-processed',
    text: `UPDATE events
              SET status = 'processed', attempts = attempts + 1, delivery_seq = delivery_seq + 1,
                  processed_at = now(), updated_at = now(), last_error = NULL
            WHERE id = ANY($1::uuid[])`,
    values: [ids],
  });
}

export interface FailedAttempt {
  readonly eventId: string;
  readonly attempt: number;
  readonly error: Error;
  readonly permanent: boolean;
  /** W3C trace context of the failed attempt; the relay's publish of the next delivery continues its trace. */
  readonly traceparent: string | null;
}

/** Records a failed attempt and schedules the next delivery through the outbox after `delayMs`. */
export async function scheduleRetry(client: ClientBase, failure: FailedAttempt, delayMs: number): Promise<void> {
  await recordFailure(client, failure, 'retrying');
  await client.query(
    `INSERT INTO outbox (event_id, delivery_seq, kind, available_at, traceparent)
     SELECT id, delivery_seq, 'process', now() + $2 * interval '1 millisecond', $3 FROM events WHERE id = $1`,
    [failure.eventId, delayMs, failure.traceparent],
  );
}

/** Marks the event failed for good and queues a copy of it for the dead-letter queue. */
export async function markFailed(client: ClientBase, failure: FailedAttempt): Promise<void> {
  await recordFailure(client, failure, 'failed');
  await client.query(
    `INSERT INTO outbox (event_id, delivery_seq, kind, traceparent) SELECT id, delivery_seq, 'dead-letter', $2 FROM events WHERE id = $1`,
    [failure.eventId, failure.traceparent],
  );
}

async function recordFailure(client: ClientBase, failure: FailedAttempt, status: 'retrying' | 'failed'): Promise<void> {
  const message = `${failure.error.name}: ${failure.error.message}`.slice(0, ERROR_MESSAGE_MAX_LENGTH);
  const entry = { attempt: failure.attempt, at: new Date().toISOString(), message, permanent: failure.permanent };
  await client.query(
    `UPDATE events
        SET status = $2, attempts = $3, delivery_seq = delivery_seq + 1, last_error = $4,
            errors = errors || jsonb_build_array($5::jsonb), updated_at = now()
      WHERE id = $1`,
    [failure.eventId, status, failure.attempt, message, JSON.stringify(entry)],
  );
}
