/** Outcome of counting one request against a key's quota. */
export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Seconds until the current window ends and the quota is full again. */
  readonly resetSeconds: number;
}

const WINDOW_SECONDS = 60;
const WINDOW_MS = WINDOW_SECONDS * 1000;

/**
 * Per-key request quota over fixed one-minute windows, kept in this process's memory.
 * NOTE: each API process counts on its own, so N instances behind a load balancer let a key make up to
 * N times its limit. One global quota would need a shared counter, in PostgreSQL or Redis.
 */
export class FixedWindowRateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  readonly windowSeconds = WINDOW_SECONDS;

  /** Counts one request of `keyId` against `limit` requests per window. */
  take(keyId: string, limit: number, now = Date.now()): RateLimitDecision {
    const start = now - (now % WINDOW_MS);
    let window = this.windows.get(keyId);
    if (window === undefined || window.start !== start) {
      if (window === undefined && this.windows.size > 100_000) this.dropOldWindows(start);
      window = { start, count: 0 };
      this.windows.set(keyId, window);
    }
    const resetSeconds = Math.max(1, Math.ceil((start + WINDOW_MS - now) / 1000));
    if (window.count >= limit) return { allowed: false, limit, remaining: 0, resetSeconds };
    window.count += 1;
    return { allowed: true, limit, remaining: limit - window.count, resetSeconds };
  }

  private dropOldWindows(currentStart: number): void {
    for (const [keyId, window] of this.windows) if (window.start !== currentStart) this.windows.delete(keyId);
  }
}
