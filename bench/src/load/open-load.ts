import { Pool, type Dispatcher } from 'undici';

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
  /**
   * Path that serves GET, requested once on every connection before the clock starts, so that opening
   * the connections does not count as the latency of the first requests. Real clients keep theirs open.
   */
  readonly warmUpPath: string;
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
  const bodies = options.bodies.map((body) => Buffer.from(body));
  await openConnections(pool, options.warmUpPath, options.connections);
  const total = Math.round(options.rate * options.durationSeconds);
  const intervalMs = 1000 / options.rate;
  const startedAt = performance.now();
  let inFlight = 0;
  let settle: (() => void) | undefined;
  const finished = () => {
    inFlight -= 1;
    if (inFlight === 0) settle?.();
  };
  let sent = 0;

  try {
    while (sent < total) {
      const now = performance.now();
      while (sent < total && startedAt + sent * intervalMs <= now) {
        const dueAt = startedAt + sent * intervalMs;
        if (inFlight >= options.maxInFlight) {
          recorder.recordError();
        } else {
          inFlight += 1;
          pool.dispatch({ path: target.pathname, method: 'POST', headers: REQUEST_HEADERS, body: bodies[sent % bodies.length]! }, responseHandler(recorder, dueAt, finished));
        }
        sent += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, TICK_MS));
    }
    if (inFlight > 0) await new Promise<void>((resolve) => (settle = resolve));
  } finally {
    await pool.close();
  }
  return recorder.finish();
}

/** Sends `connections` GET requests at once, which makes the pool open all its connections. */
async function openConnections(pool: Pool, path: string, connections: number): Promise<void> {
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const response = await pool.request({ path, method: 'GET' });
      await response.body.dump();
    }),
  );
}

const REQUEST_HEADERS = { 'content-type': 'application/json' };

/**
 * Records one response when it ends. undici's low-level handler reads the response without the
 * stream and promise that `request()` creates for each one. That saved about 15% of the generator's
 * CPU, which it shares with the system under test.
 */
function responseHandler(recorder: LatencyRecorder, dueAt: number, finished: () => void): Dispatcher.DispatchHandler {
  let status = 0;
  return {
    onRequestStart() {},
    onResponseStart(_controller, statusCode) {
      status = statusCode;
    },
    onResponseData() {},
    onResponseEnd() {
      recorder.record(status, performance.now() - dueAt);
      finished();
    },
    onResponseError() {
      recorder.recordError();
      finished();
    },
  };
}
