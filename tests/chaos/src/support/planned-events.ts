import type { LoadEvent } from '@ingestion/core/testing';

/** What the client expects to become of an event. */
export type EventKind = 'order' | 'flaky' | 'invalid-order';

/** One event of the load, with what the client expects to become of it. */
export interface PlannedEvent extends LoadEvent {
  readonly kind: EventKind;
}

/** Plans `count` events under one client id prefix: every 10th is an invalid order, every 10th+5 fails once. */
export function planEvents(run: string, count: number): PlannedEvent[] {
  return Array.from({ length: count }, (_, index) => {
    const kind = eventKind(index);
    const event = {
      specversion: '1.0',
      id: `${run}-${index}`,
      source: '/chaos',
      type: kind === 'flaky' ? 'chaos.flaky' : 'order.created',
      data: { orderId: `${run}-${index}`, amountCents: kind === 'invalid-order' ? -1 : 100 + index, currency: 'EUR' },
    };
    return { index, kind, body: JSON.stringify(event) };
  });
}

function eventKind(index: number): EventKind {
  if (index % 10 === 9) return 'invalid-order';
  if (index % 10 === 5) return 'flaky';
  return 'order';
}
