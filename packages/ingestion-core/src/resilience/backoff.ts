export interface BackoffOptions {
  /** Delay before the first retry, in milliseconds. */
  readonly baseMs: number;
  /** Upper bound of any delay, in milliseconds. */
  readonly maxMs: number;
}

/**
 * Returns the delay before retry number `attempt` (1-based): exponential growth capped at `maxMs`,
 * with "full jitter" (a uniform draw below the cap) so that many clients do not retry in step.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Resolves after `ms` milliseconds, or at once when `signal` aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
