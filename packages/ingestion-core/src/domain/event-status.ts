/**
 * Lifecycle of an event:
 * accepted → processed, or accepted → retrying → … → processed | failed.
 * A failed event goes back to accepted when an operator replays it.
 */
export const EVENT_STATUSES = ['accepted', 'retrying', 'processed', 'failed'] as const;

export type EventStatus = (typeof EVENT_STATUSES)[number];

const transitions: Record<EventStatus, readonly EventStatus[]> = {
  accepted: ['processed', 'retrying', 'failed'],
  retrying: ['processed', 'retrying', 'failed'],
  processed: [],
  failed: ['accepted'],
};

export function canTransition(from: EventStatus, to: EventStatus): boolean {
  return transitions[from].includes(to);
}

/** Statuses in which the event still waits for a handler to run. */
export function isPending(status: EventStatus): boolean {
  return status === 'accepted' || status === 'retrying';
}
