import { join } from 'node:path';

import { waitFor } from '@ingestion/core/testing';

import type { BrokerProbe } from './broker-probe.js';
import { BenchProcess } from './child-process.js';
import { startHttpProcess, type HttpProcess } from './http-process.js';

const API_SCRIPT = new URL('../../../../apps/ingestion-api/dist/src/main.js', import.meta.url);
const WORKER_SCRIPT = new URL('../../../../apps/processor-worker/dist/src/main.js', import.meta.url);

/**
 * Node.js options of the API, the same as in the `start:api` script of the root package.json.
 * Most of the API's memory under load is garbage that V8 has not collected yet. A 16 MiB semi-space
 * bounds the young generation. `--heap-growing-percent=100` lets the old generation grow to twice
 * its live size before a full collection. V8 (13, in Node.js 24) otherwise picks up to 4 times under
 * a high allocation rate. In side runs of single-event POSTs with the relay, the API's CPU per request
 * was 94 µs with an 8 MiB semi-space, 87 µs with 16 MiB and 84 µs with 32 MiB. Its peak RSS was 199,
 * 210 and 240 to 270 MB. Without the growing-percent flag the peak RSS was 244 to 260 MB at 8 MiB.
 */
const API_NODE_ARGUMENTS = ['--max-semi-space-size=16', '--heap-growing-percent=100'];

/** Time the worker may take to start consuming, in milliseconds. */
const WORKER_START_TIMEOUT_MS = 60_000;

/** Starts Ingestion.Api with its outbox relay, with the product's default settings. */
export function startApi(env: Record<string, string>, logDirectory: string): Promise<HttpProcess> {
  return startHttpProcess('api', API_SCRIPT, { ...env, RELAY_ENABLED: 'true' }, '/health/ready', join(logDirectory, 'api.log'), API_NODE_ARGUMENTS);
}

/** Starts one Processor.Worker and waits until it consumes the processing queue. */
export async function startWorker(env: Record<string, string>, logDirectory: string, broker: BrokerProbe, queue: string): Promise<BenchProcess> {
  const logPath = join(logDirectory, 'worker.log');
  const worker = BenchProcess.start('worker', WORKER_SCRIPT.pathname, env, logPath);
  try {
    await waitFor(
      'the worker to consume',
      async () => {
        if (!worker.isRunning) throw new Error(`The worker exited during start-up; see ${logPath}`);
        return (await broker.depth(queue)).consumers > 0 ? true : undefined;
      },
      WORKER_START_TIMEOUT_MS,
      100,
    );
  } catch (error) {
    await worker.stop();
    throw error;
  }
  return worker;
}
