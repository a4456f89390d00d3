import { toError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import { backoffDelay, delay } from './backoff.js';

export interface RetryUntilOptions {
  /** Action being attempted, for the log, such as "connect to PostgreSQL". */
  readonly action: string;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
  readonly baseMs?: number;
  readonly maxMs?: number;
  /** Errors for which this returns false are thrown at once instead of retried. */
  readonly isRetryable?: (error: Error) => boolean;
}

/**
 * Runs `operation` until it succeeds, waiting with capped exponential backoff between failures.
 * Used at start-up so that a process waits for PostgreSQL or RabbitMQ instead of crashing.
 * Throws the last error if `signal` aborts.
 */
export async function retryUntil<T>(operation: () => Promise<T>, options: RetryUntilOptions): Promise<T> {
  const backoff = { baseMs: options.baseMs ?? 250, maxMs: options.maxMs ?? 10_000 };
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation();
    } catch (caught) {
      const error = toError(caught);
      if (options.isRetryable && !options.isRetryable(error)) throw error;
      if (options.signal?.aborted) throw error;
      const wait = backoffDelay(attempt, backoff);
      options.logger.warn({ err: error, attempt, retryInMs: wait }, `${options.action} failed; retrying`);
      await delay(wait, options.signal);
      if (options.signal?.aborted) throw error;
    }
  }
}
