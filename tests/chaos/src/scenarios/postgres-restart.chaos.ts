import { describe, it } from 'node:test';

import { delay } from '@ingestion/core';
import { untilAccepted, waitFor } from '@ingestion/core/testing';

import { runScenario } from '../support/scenario.js';
import { withPostgresStopped } from '../support/services.js';

/** Shortest time PostgreSQL stays down, in milliseconds. */
const OUTAGE_MS = 3_000;

describe('chaos: PostgreSQL stopped and started', () => {
  it('answers 503 while it is down and recovers without losing an event', async () => {
    await runScenario({
      label: 'postgres_restart',
      shape: { apis: 1, workers: 2 },
      events: 1500,
      ratePerSecond: 150,
      concurrency: 16,
      async fault(cluster, load) {
        const api = cluster.apis[0]!;
        await untilAccepted(load.report, 400);
        const stoppedAt = Date.now();
        const unavailableBefore = [...load.report.unavailable.values()].reduce((sum, count) => sum + count, 0);
        const readinessWhileDown = await withPostgresStopped(async () => {
          const status = await waitFor(
            'readiness to report PostgreSQL down',
            async () => {
              const response = await fetch(`${api.baseUrl}/health/ready`, { signal: AbortSignal.timeout(10_000) });
              return response.status === 503 ? response.status : undefined;
            },
            30_000,
            100,
          );
          await delay(Math.max(0, OUTAGE_MS - (Date.now() - stoppedAt)));
          return status;
        });
        const downForMs = Date.now() - stoppedAt;
        await waitFor('readiness to recover', async () => ((await fetch(`${api.baseUrl}/health/ready`)).status === 200 ? true : undefined), 60_000, 200);
        const unavailable = [...load.report.unavailable.values()].reduce((sum, count) => sum + count, 0) - unavailableBefore;
        return {
          did: ['stopped PostgreSQL (pg_ctlcluster stop, fast shutdown) with 400 events accepted', `started it again after ${downForMs} ms`],
          extra: { readinessWhileDown, ingest503sDuringOutage: unavailable, recoveredInMs: Date.now() - stoppedAt },
        };
      },
    });
  });
});
