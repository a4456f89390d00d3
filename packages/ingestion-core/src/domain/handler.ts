import type { Logger } from '../logging/logger.js';

/** A database connection bound to the worker's transaction; queries run inside it. */
export interface TransactionClient {
  query<Row extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values?: readonly unknown[],
  ): Promise<{ rows: Row[]; rowCount: number | null }>;
}

/** An event as a handler receives it. `data` is exactly the bytes the client sent. */
export interface HandlerEvent {
  /** Internal event id; stable across retries and replays, so it can key idempotent side effects. */
  readonly id: string;
  readonly cloudEventId: string;
  readonly type: string;
  readonly source: string;
  readonly subject: string | null;
  readonly time: string | null;
  readonly dataContentType: string | null;
  readonly data: Buffer | null;
  readonly extensions: Readonly<Record<string, string | number | boolean>>;
  /** 1 on the first attempt, 2 on the first retry, and so on. */
  readonly attempt: number;
}

export interface HandlerContext {
  /**
   * The worker's transaction. Whatever the handler writes here commits together with the event's
   * outcome, exactly once, and is rolled back if the handler throws.
   */
  readonly db: TransactionClient;
  readonly logger: Logger;
}

/**
 * Business logic for one event type. Throw to fail the attempt: a PermanentError (or any error
 * with `permanent: true`) fails the event at once; anything else is retried with backoff.
 */
export interface EventHandler {
  /** Event type this handler processes, matched exactly. */
  readonly type: string;
  handle(event: HandlerEvent, context: HandlerContext): Promise<void>;
}

/** Parses JSON data, throwing a PermanentError-style error when it is absent or not JSON. */
export function jsonData<T = unknown>(event: HandlerEvent): T {
  if (event.data === null) throw Object.assign(new Error(`Event ${event.id} has no data`), { permanent: true });
  try {
    return JSON.parse(event.data.toString('utf8')) as T;
  } catch (error) {
    throw Object.assign(new Error(`Event ${event.id} data is not JSON`, { cause: error }), { permanent: true });
  }
}
