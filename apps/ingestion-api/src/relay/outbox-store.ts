import type { EventEnvelope } from '@ingestion/core';
import type { ClientBase } from 'pg';

/** An outbox row locked by the relay, with the event it delivers. */
export interface ClaimedRow {
  readonly outboxId: string;
  /** The event, or null when its row is gone (the outbox row is then dropped). */
  readonly envelope: EventEnvelope | null;
  readonly eventId: string;
  /** 'process' for the workers; 'dead-letter' for a copy of a failed event, with the reason. */
  readonly kind: 'process' | 'dead-letter';
  readonly lastError: string | null;
  /** W3C trace context of the span that queued the delivery, or of the ingest request when the row has none. */
  readonly traceparent: string | null;
}

interface ClaimRow {
  outbox_id: string;
  event_id: string;
  delivery_seq: number;
  kind: 'process' | 'dead-letter';
  last_error: string | null;
  traceparent: string | null;
  id: string | null;
  cloud_event_id: string;
  source: string;
  type: string;
  spec_version: string;
  subject: string | null;
  time: string | null;
  data_content_type: string | null;
  data_schema: string | null;
  data: Buffer | null;
  extensions: Record<string, string | number | boolean>;
  received_at: Date;
}

/**
 * Locks up to `limit` due outbox rows in the caller's transaction and returns them with their events,
 * oldest first. SKIP LOCKED lets several relays claim disjoint rows at once. The locks last until the
 * transaction ends, so a relay that dies releases its rows at once, and one that hangs loses them when
 * idle_in_transaction_session_timeout ends its session.
 */
export async function claimOutboxRows(client: ClientBase, limit: number): Promise<ClaimedRow[]> {
  const result = await client.query<ClaimRow>(
    `WITH claimed AS (
       SELECT id, event_id, delivery_seq, kind, traceparent FROM outbox
        WHERE available_at <= now()
        ORDER BY id
        LIMIT $1
        FOR UPDATE SKIP LOCKED
     )
     SELECT c.id AS outbox_id, c.event_id, c.delivery_seq, c.kind, e.last_error, COALESCE(c.traceparent, e.traceparent) AS traceparent, e.id, e.cloud_event_id, e.source, e.type, e.spec_version,
            e.subject, e.time, e.data_content_type, e.data_schema, e.data, e.extensions, e.received_at
       FROM claimed c LEFT JOIN events e ON e.id = c.event_id
      ORDER BY c.id`,
    [limit],
  );
  return result.rows.map((row) => ({
    outboxId: row.outbox_id,
    eventId: row.event_id,
    kind: row.kind,
    lastError: row.last_error,
    traceparent: row.traceparent,
    envelope:
      row.id === null
        ? null
        : {
            eventId: row.id,
            deliverySeq: row.delivery_seq,
            cloudEventId: row.cloud_event_id,
            source: row.source,
            type: row.type,
            specVersion: row.spec_version,
            subject: row.subject,
            time: row.time,
            dataContentType: row.data_content_type,
            dataSchema: row.data_schema,
            data: row.data,
            extensions: row.extensions,
            receivedAt: row.received_at,
          },
  }));
}

export async function deleteOutboxRows(client: ClientBase, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await client.query({ name: 'delete-outbox-rows', text: 'DELETE FROM outbox WHERE id = ANY($1::bigint[])', values: [ids] });
}

/** Makes rows due again only after `delayMs`, for messages the broker could not route. */
export async function postponeOutboxRows(client: ClientBase, ids: readonly string[], delayMs: number): Promise<void> {
  if (ids.length === 0) return;
  await client.query(`UPDATE outbox SET available_at = now() + $2 * interval '1 millisecond' WHERE id = ANY($1::bigint[])`, [ids, delayMs]);
}
