import { toMessage, toPackMessage, withDeadLetterReason, type DeliveredEvent, type OutgoingMessage, type TopologyNames } from '@ingestion/core';

import type { ClaimedRow } from './outbox-store.js';

/** A claimed row whose event still exists. */
export type DeliverableRow = ClaimedRow & { readonly envelope: NonNullable<ClaimedRow['envelope']> };

/** A claimed row with its event and the trace headers of its publish span. */
export interface TracedRow {
  readonly row: DeliverableRow;
  readonly traceHeaders: Record<string, unknown>;
}

/** A message to publish and the outbox rows it delivers. */
export interface PlannedMessage {
  readonly message: OutgoingMessage & { readonly exchange: string };
  readonly rows: readonly ClaimedRow[];
}

export interface PlanOptions {
  readonly names: TopologyNames;
  readonly appId: string;
  /** Maximum events in one message; 1 publishes every event as its own message. */
  readonly eventsPerMessage: number;
}

/**
 * Data bytes after which a pack takes no more events, so that a pack of large events stays far below
 * RabbitMQ's message size limit (16 MiB by default on 4.x). A larger event travels alone.
 */
const PACK_MAX_DATA_BYTES = 256 * 1024;

/**
 * Decides the messages of a claimed batch. Events for the workers are packed by type, up to
 * `eventsPerMessage` per message, in claim order; a group of one is an ordinary single-event message.
 * Dead-letter copies are always single messages, with the reason in `x-dead-letter-reason`, because
 * they are for people and tools that read one event per message.
 */
export function planMessages(rows: readonly TracedRow[], options: PlanOptions): PlannedMessage[] {
  const plans: PlannedMessage[] = [];
  for (const traced of rows) {
    if (traced.row.kind === 'dead-letter') plans.push(deadLetterMessage(traced, options));
  }
  for (const group of packGroups(rows.filter((traced) => traced.row.kind === 'process'), options.eventsPerMessage)) {
    const events: DeliveredEvent[] = group.map(({ row, traceHeaders }) => ({ envelope: row.envelope, traceHeaders }));
    const message = events.length === 1 ? toMessage(events[0]!.envelope, options.appId, events[0]!.traceHeaders) : toPackMessage(events, options.appId);
    plans.push({ message: { ...message, exchange: options.names.eventsExchange }, rows: group.map((traced) => traced.row) });
  }
  return plans;
}

/** Splits rows into groups of one event type, each at most `limit` events and about PACK_MAX_DATA_BYTES of data. */
function packGroups(rows: readonly TracedRow[], limit: number): TracedRow[][] {
  const open = new Map<string, { rows: TracedRow[]; bytes: number }>();
  const groups: TracedRow[][] = [];
  for (const traced of rows) {
    const type = traced.row.envelope.type;
    const size = traced.row.envelope.data?.length ?? 0;
    let group = open.get(type);
    if (group !== undefined && group.bytes + size > PACK_MAX_DATA_BYTES) group = undefined;
    if (group === undefined) {
      group = { rows: [], bytes: 0 };
      open.set(type, group);
      groups.push(group.rows);
    }
    group.rows.push(traced);
    group.bytes += size;
    if (group.rows.length >= limit) open.delete(type);
  }
  return groups;
}

function deadLetterMessage({ row, traceHeaders }: TracedRow, options: PlanOptions): PlannedMessage {
  const message = withDeadLetterReason(toMessage(row.envelope, options.appId, traceHeaders), row.lastError ?? 'unknown');
  return { message: { ...message, exchange: options.names.deadLetterExchange }, rows: [row] };
}
