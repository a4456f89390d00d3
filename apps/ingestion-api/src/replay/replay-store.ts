import { OUTBOX_CHANNEL, withTransaction, type EventStatus } from '@ingestion/core';
import type pg from 'pg';

import type { ReplayFilter } from './replay-filter.js';

/** Outcome of replaying one event by id. */
export type ReplayOutcome =
  | { readonly kind: 'replayed'; readonly deliverySeq: number }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'not-failed'; readonly status: EventStatus };

/** Result of one filtered replay: the events replayed now and the matching failed events left for another call. */
export interface FilteredReplayResult {
  readonly ids: string[];
  readonly remaining: number;
}

/**
 * A replay puts a failed event back to `accepted` and queues a new delivery for it through the
 * outbox, with the event's current delivery_seq. The failed attempt already advanced that number,
 * so the new message is the one the worker expects next, and any older copy is still a duplicate.
 * Attempts start again from zero, so the replayed event gets WORKER_MAX_ATTEMPTS attempts of its
 * own. The error history in `errors` is kept, and its attempt numbers restart at 1.
 */
const RESET_TO_ACCEPTED = `status = 'accepted', attempts = 0, last_error = NULL, updated_at = now()`;

/** Replays one failed event. Locks the row first, so two concurrent replays of one event queue one delivery. */
export function replayEvent(pool: pg.Pool, id: string): Promise<ReplayOutcome> {
  return withTransaction(pool, async (client) => {
    const current = await client.query<{ status: EventStatus }>('SELECT status FROM events WHERE id = $1 FOR UPDATE', [id]);
    const row = current.rows[0];
    if (row === undefined) return { kind: 'not-found' };
    if (row.status !== 'failed') return { kind: 'not-failed', status: row.status };

    const replayed = await client.query<{ delivery_seq: number }>(
      `WITH replayed AS (
         UPDATE events SET ${RESET_TO_ACCEPTED} WHERE id = $1 RETURNING id, delivery_seq
       ), queued AS (
         INSERT INTO outbox (event_id, delivery_seq, kind) SELECT id, delivery_seq, 'process' FROM replayed
       )
       SELECT delivery_seq FROM replayed CROSS JOIN (SELECT pg_notify('${OUTBOX_CHANNEL}', '')) AS wake_relays`,
      [id],
    );
    return { kind: 'replayed', deliverySeq: replayed.rows[0]!.delivery_seq };
  });
}

/**
 * Replays up to `limit` failed events that match the filter, oldest received first, and counts the
 * matching failed events left. Rows that another replay has locked are skipped, not waited for.
 */
export function replayFailedEvents(pool: pg.Pool, filter: ReplayFilter, limit: number): Promise<FilteredReplayResult> {
  const parameters = [filter.type ?? null, filter.from ?? null, filter.to ?? null, filter.failedBefore ?? null];
  const matches = `status = 'failed' AND last_error IS NOT NULL
        AND ($1::text IS NULL OR type = $1)
        AND ($2::timestamptz IS NULL OR received_at >= $2)
        AND ($3::timestamptz IS NULL OR received_at < $3)
        AND ($4::timestamptz IS NULL OR updated_at < $4)`;
  return withTransaction(pool, async (client) => {
    const replayed = await client.query<{ id: string }>(
      `WITH picked AS (
         SELECT id FROM events WHERE ${matches}
          ORDER BY received_at, id
          LIMIT $5
          FOR UPDATE SKIP LOCKED
       ), replayed AS (
         UPDATE events e SET ${RESET_TO_ACCEPTED} FROM picked WHERE e.id = picked.id RETURNING e.id, e.delivery_seq
       ), queued AS (
         INSERT INTO outbox (event_id, delivery_seq, kind) SELECT id, delivery_seq, 'process' FROM replayed
       )
       SELECT replayed.id FROM replayed CROSS JOIN (SELECT pg_notify('${OUTBOX_CHANNEL}', '')) AS wake_relays`,
      [...parameters, limit],
    );
    const left = await client.query<{ count: number }>(`SELECT count(*)::int AS count FROM events WHERE ${matches}`, parameters);
    return { ids: replayed.rows.map((row) => row.id), remaining: left.rows[0]!.count };
  });
}
