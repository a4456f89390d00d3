import { Pool } from 'undici';

import { LatencyRecorder, type LoadResult } from './latency-recorder.js';

export interface OpenLoadOptions {
  readonly url: string;
  readonly bodies: readonly string[];
  /**
   * Events in each body. A 202 counts as this many accepted events, which is exact for a batch because the
   * API stores it whole or not at all, and an event without an `id` gets a new one, so it cannot conflict.
   */
  readonly eventsPerRequest: number;
  /** Arrival rate, in requests per second. */
  readonly rate: number;
  readonly durationSeconds: number;
  /** Requests in flight above which the generator gives up on new arrivals and counts them as errors. */
  readonly maxInFlight: number;
  readonly connections: number;
}

/** Interval of the scheduling timer, in milliseconds. */
const TICK_MS = 1;

/**
 * Open model: requests arrive at a fixed rate whatever the server's speed, as real clients do.
 * Each request's latency is measured from the time it was due, not from the time it was sent, so a
 * slow server or a saturated generator raises the latency instead of lowering the rate
 * (no coordinated omission). Arrivals beyond `maxInFlight` are counted as errors, not dropped silently.
 */
export async function runOpenLoad(options: OpenLoadOptions): Promise<LoadResult> {
  const target = new URL(options.url);
  const pool = new Pool(target.origin, { connections: options.connections, pipelining: 1 });
  const recorder = new LatencyRecorder(options.eventsPerRequest);
  const total = Math.round(options.rate * options.durationSeconds);
  const intervalMs = 1000 / options.rate;
  const pending = new Set<Promise<void>>();
  const startedAt = performance.now();
  let sent = 0;

  const send = (dueAt: number, body: string) => {
    const request = pool
      .request({ origin: target.origin, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json' }, body })
      .then(async (response) => {
        await response.body.dump();
        recorder.record(response.statusCode, performance.now() - dueAt);
      })
      .catch(() => recorder.recordError())
      .finally(() => pending.delete(request));
    pending.add(request);
  };

  try {
    while (sent < total) {
      const now = performance.now();
      while (sent < total && startedAt + sent * intervalMs <= now) {
        const dueAt = startedAt + sent * intervalMs;
        if (pending.size >= options.maxInFlight) recorder.recordError();
        else send(dueAt, options.bodies[sent % options.bodies.length]!);
        sent += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, TICK_MS));
    }
    await Promise.allSettled(pending);
  } finally {
    await pool.close();
  }
  return recorder.finish();
}
