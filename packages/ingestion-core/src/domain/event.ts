import type { EventStatus } from './event-status.js';

/** Default `source` for events posted without one. */
export const DEFAULT_EVENT_SOURCE = 'urn:ingestion:unspecified';

/**
 * An event as accepted by the API, ready to be stored.
 * `data` contains the bytes the client sent for the data, unchanged, and `dataContentType` names their media type.
 */
export interface NewEvent {
  /** Internal id, a UUIDv7; the id of the status resource. */
  readonly id: string;
  /** CloudEvents `id` as sent by the client, or the internal id when the client sent none. */
  readonly cloudEventId: string;
  readonly source: string;
  readonly type: string;
  readonly specVersion: string;
  readonly subject: string | null;
  /** CloudEvents `time` exactly as sent (RFC 3339). */
  readonly time: string | null;
  readonly dataContentType: string | null;
  readonly dataSchema: string | null;
  readonly data: Buffer | null;
  /** CloudEvents extension attributes, by name. */
  readonly extensions: Readonly<Record<string, string | number | boolean>>;
  /** SHA-256 of the event's content, used to tell a retry of the same event from a conflicting one. */
  readonly fingerprint: Buffer;
}

/** The stored state of an event as the status endpoint shows it. */
export interface EventRecord {
  readonly id: string;
  readonly cloudEventId: string;
  readonly type: string;
  readonly source: string;
  readonly subject: string | null;
  readonly time: string | null;
  readonly dataContentType: string | null;
  readonly data: Buffer | null;
  readonly status: EventStatus;
  readonly attempts: number;
  readonly receivedAt: Date;
  readonly processedAt: Date | null;
  readonly error: string | null;
  readonly errors: readonly AttemptError[];
}

/** One failed handler attempt, kept in the event's error history. */
export interface AttemptError {
  readonly attempt: number;
  readonly at: string;
  readonly message: string;
  readonly permanent: boolean;
}
