import type { ClientBase } from 'pg';

import type { AttemptError, EventRecord, NewEvent } from '../domain/event.js';
import type { EventStatus } from '../domain/event-status.js';

/** LISTEN/NOTIFY channel on which a commit that added outbox rows wakes the relays. */
export const OUTBOX_CHANNEL = 'ingestion_outbox';

/** Outcome of storing one event: stored now, already stored with the same content, or an id clash. */
export type InsertOutcome =
  | { readonly kind: 'created'; readonly id: string }
  | { readonly kind: 'duplicate'; readonly id: string }
  | { readonly kind: 'conflict'; readonly id: string };

/**
 * Inserts events and one outbox row for each new one with one statement, which PostgreSQL runs as
 * one transaction when the caller has none open, so both rows commit together or not at all.
 * `traceparents[i]`, when given, is the W3C trace context of event i, stored on the event and its outbox row.
 * An event whose (source, id) is already stored is not inserted again: its outcome is `duplicate`
 * when the content matches and `conflict` when it differs.
 *
 * The data and fingerprints of all events travel as one binary parameter each, cut into rows by
 * their lengths, because the driver would otherwise send every byte of an array of byte strings as two hex digits.
 */
export async function insertEvents(
  client: Pick<ClientBase, 'query'>,
  events: readonly NewEvent[],
  traceparents: readonly (string | null)[] = [],
): Promise<InsertOutcome[]> {
  const data = packBytes(events.map((event) => event.data));
  const fingerprints = packBytes(events.map((event) => event.fingerprint));
  const inserted = await client.query<{ id: string }>({
    name: 'insert-events',
    text: `WITH input AS (
       SELECT t.id, t.cloud_event_id, t.source, t.type, t.spec_version, t.subject, t.time, t.data_content_type,
              t.data_schema,
              CASE WHEN t.data_length >= 0 THEN substring($10::bytea FROM t.data_start FOR t.data_length) END AS data,
              t.extensions,
              substring($12::bytea FROM t.fingerprint_start FOR t.fingerprint_length) AS fingerprint,
              t.traceparent
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                     $8::text[], $9::text[], $11::jsonb[], $13::text[], $14::int[], $15::int[], $16::int[], $17::int[])
           AS t(id, cloud_event_id, source, type, spec_version, subject, time, data_content_type, data_schema,
                extensions, traceparent, data_start, data_length, fingerprint_start, fingerprint_length)
     ), inserted AS (
       INSERT INTO events (id, cloud_event_id, source, type, spec_version, subject, time, data_content_type,
                           data_schema, data, extensions, fingerprint, traceparent)
       SELECT * FROM input
       ON CONFLICT (source, cloud_event_id) DO NOTHING
       RETURNING id, traceparent
     ), queued AS (
       INSERT INTO outbox (event_id, traceparent) SELECT id, traceparent FROM inserted
     )
     SELECT inserted.id FROM inserted CROSS JOIN (SELECT pg_notify('${OUTBOX_CHANNEL}', '')) AS wake_relays`,
    values: [
      events.map((event) => event.id),
      events.map((event) => event.cloudEventId),
      events.map((event) => event.source),
      events.map((event) => event.type),
      events.map((event) => event.specVersion),
      events.map((event) => event.subject),
      events.map((event) => event.time),
      events.map((event) => event.dataContentType),
      events.map((event) => event.dataSchema),
      data.bytes,
      events.map((event) => JSON.stringify(event.extensions)),
      fingerprints.bytes,
      events.map((_event, index) => traceparents[index] ?? null),
      data.starts,
      data.lengths,
      fingerprints.starts,
      fingerprints.lengths,
    ],
  });
  const createdIds = new Set(inserted.rows.map((row) => row.id));
  if (createdIds.size === events.length) return events.map((event) => ({ kind: 'created', id: event.id }));

  const others = events.filter((event) => !createdIds.has(event.id));
  const existing = await client.query<{ id: string; source: string; cloud_event_id: string; fingerprint: Buffer }>(
    `SELECT e.id, e.source, e.cloud_event_id, e.fingerprint
       FROM events e
       JOIN unnest($1::text[], $2::text[]) AS k(source, cloud_event_id)
         ON e.source = k.source AND e.cloud_event_id = k.cloud_event_id`,
    [others.map((event) => event.source), others.map((event) => event.cloudEventId)],
  );
  const byKey = new Map(existing.rows.map((row) => [`${row.source}\u0000${row.cloud_event_id}`, row]));
  return events.map((event): InsertOutcome => {
    if (createdIds.has(event.id)) return { kind: 'created', id: event.id };
    const stored = byKey.get(`${event.source}\u0000${event.cloudEventId}`);
    if (stored === undefined) throw new Error(`Event ${event.source} ${event.cloudEventId} was neither inserted nor found`);
    return { kind: stored.fingerprint.equals(event.fingerprint) ? 'duplicate' : 'conflict', id: stored.id };
  });
}

interface EventRow {
  id: string;
  cloud_event_id: string;
  type: string;
  source: string;
  subject: string | null;
  time: string | null;
  data_content_type: string | null;
  data: Buffer | null;
  status: EventStatus;
  attempts: number;
  received_at: Date;
  processed_at: Date | null;
  last_error: string | null;
  errors: AttemptError[];
}

export async function findEvent(client: Pick<ClientBase, 'query'>, id: string): Promise<EventRecord | undefined> {
  const result = await client.query<EventRow>(
    `SELECT id, cloud_event_id, type, source, subject, time, data_content_type, data, status, attempts,
            received_at, processed_at, last_error, errors
       FROM events WHERE id = $1`,
    [id],
  );
  const row = result.rows[0];
  if (row === undefined) return undefined;
  return {
    id: row.id,
    cloudEventId: row.cloud_event_id,
    type: row.type,
    source: row.source,
    subject: row.subject,
    time: row.time,
    dataContentType: row.data_content_type,
    data: row.data,
    status: row.status,
    attempts: row.attempts,
    receivedAt: row.received_at,
    processedAt: row.processed_at,
    error: row.last_error,
    errors: row.errors,
  };
}

/** Byte strings joined into one buffer, with the start of each (1-based, as SQL counts) and its length. A null has length -1. */
interface PackedBytes {
  readonly bytes: Buffer;
  readonly starts: number[];
  readonly lengths: number[];
}

function packBytes(values: readonly (Buffer | null)[]): PackedBytes {
  const starts: number[] = [];
  const lengths: number[] = [];
  let position = 1;
  for (const value of values) {
    starts.push(position);
    lengths.push(value === null ? -1 : value.length);
    position += value?.length ?? 0;
  }
  return { bytes: Buffer.concat(values.filter((value) => value !== null)), starts, lengths };
}
