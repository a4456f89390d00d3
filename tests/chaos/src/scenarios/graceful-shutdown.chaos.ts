import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { untilAccepted } from '@ingestion/core/testing';
import type { ProductProcess } from '../support/processes.js';
import { runScenario } from '../support/scenario.js';

describe('chaos: SIGTERM to a worker and the API under load', () => {
  it('shuts down cleanly within SHUTDOWN_TIMEOUT_MS and hands back unfinished work', async () => {
    await runScenario({
      label: 'graceful_shutdown',
      shape: { apis: 1, workers: 2 },
      events: 1500,
      ratePerSecond: 250,
      concurrency: 16,
      async fault(cluster, load) {
        await untilAccepted(load.report, 400);
        const worker = await stopAndRestart(cluster.workers[0]!);
        const api = await stopAndRestart(cluster.apis[0]!);
        // A process that runs out of SHUTDOWN_TIMEOUT_MS exits with code 1.
        assert.equal(worker.exitCode, 0, 'the worker did not shut down cleanly');
        assert.equal(api.exitCode, 0, 'the API did not shut down cleanly');
        return {
          did: ['sent SIGTERM to worker-1 under load and started it again', 'sent SIGTERM to the API and its relay under load and started it again'],
          extra: { worker, api },
        };
      },
    });
  });
});

async function stopAndRestart(product: ProductProcess): Promise<{ exitCode: number | null; shutdownMs: number }> {
  const startedAt = Date.now();
  const exitCode = await product.terminate();
  const shutdownMs = Date.now() - startedAt;
  await product.restart();
  return { exitCode, shutdownMs };
}
