import { toError } from '@ingestion/core';
import autocannon from 'autocannon';

import { LatencyRecorder, type LoadResult } from './latency-recorder.js';

export interface ClosedLoadOptions {
  readonly url: string;
  /** Request bodies, sent in turn by every connection. */
  readonly bodies: readonly string[];
  readonly eventsPerRequest: number;
  readonly connections: number;
  /** Length of the phase, unless `requests` is set. */
  readonly durationSeconds: number;
  /** When set, the phase ends after this many requests instead, whatever its duration. */
  readonly requests?: number;
}

/** Seconds after which the load generator counts a request as failed. */
const REQUEST_TIMEOUT_SECONDS = 30;

/**
 * Closed model: a fixed number of connections, each sending its next request as soon as the
 * previous one got its response, driven by autocannon. It finds the maximum rate; its latencies hide
 * queueing (coordinated omission), so the open model measures latency at a given rate.
 */
export async function runClosedLoad(options: ClosedLoadOptions): Promise<LoadResult> {
  const recorder = new LatencyRecorder(options.eventsPerRequest);
  const settings: autocannon.Options = {
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    ...(options.requests === undefined ? {} : { amount: options.requests }),
    timeout: REQUEST_TIMEOUT_SECONDS,
    requests: options.bodies.map((body) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body })),
  };
  let instance: autocannon.Instance | undefined;
  const finished = new Promise<void>((resolve, reject) => {
    instance = autocannon(settings, (error: unknown) => (error ? reject(toError(error)) : resolve()));
  });
  instance!.on('response', (_client, statusCode, _bytes, responseTime) => recorder.record(statusCode, responseTime));
  instance!.on('reqError', () => recorder.recordError());
  await finished;
  return recorder.finish();
}
