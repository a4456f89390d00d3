import { Pool } from 'undici';

import { LatencyRecorder, type LoadResult } from './latency-recorder.js';

/**
 * Sends `concurrency` single-event POSTs at once, waits for all responses, and repeats `rounds` times.
 * Every request has its own connection, as independent clients would.
 */
export async function runBurstLoad(url: string, bodies: readonly string[], concurrency: number, rounds: number): Promise<LoadResult> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: concurrency, pipelining: 1 });
  const recorder = new LatencyRecorder(1);
  const sendOne = async (body: string) => {
    const sentAt = performance.now();
    try {
      const response = await pool.request({ path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await response.body.dump();
      recorder.record(response.statusCode, performance.now() - sentAt);
    } catch {
      recorder.recordError();
    }
  };
  try {
    for (let round = 0; round < rounds; round += 1) {
      await Promise.all(Array.from({ length: concurrency }, (_, index) => sendOne(bodies[index % bodies.length]!)));
    }
  } finally {
    await pool.close();
  }
  return recorder.finish();
}
