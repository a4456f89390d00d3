import { describe, it } from 'node:test';

import { untilAccepted, waitFor } from '@ingestion/core/testing';
import type pg from 'pg';

import { runScenario } from '../support/scenario.js';

describe('chaos: worker SIGKILLed while processing', () => {
  it('lets the other worker finish its messages, each effect once', async () => {
    await runScenario({
      label: 'worker_kill',
      shape: { apis: 1, workers: 2 },
      events: 1500,
      ratePerSecond: 300,
      concurrency: 16,
      async fault(cluster, load) {
        const victim = cluster.workers[0]!;
        const survivor = cluster.workers[1]!;
        await untilAccepted(load.report, 400);
        // Kill the worker the moment its database session is inside a transaction: a batch is being processed.
        const session = await waitFor(
          `${victim.name} to be inside a transaction`,
          async () => {
            const result = await cluster.pool.query<{ state: string }>(
              `SELECT state FROM pg_stat_activity WHERE application_name = $1 AND xact_start IS NOT NULL LIMIT 1`,
              [`chaos-${victim.name}`],
            );
            return result.rows[0];
          },
          60_000,
          5,
        );
        await victim.kill();
        const processedAtKill = await processedCount(cluster.pool);
        return {
          did: [`SIGKILLed ${victim.name} (pid ${victim.pid}) while its session was in a transaction (state ${session.state})`, `left ${survivor.name} to finish alone`],
          killed: [victim],
          extra: { processedAtKill },
        };
      },
    });
  });
});

async function processedCount(pool: pg.Pool): Promise<number> {
  const result = await pool.query<{ count: number }>(`SELECT count(*)::int AS count FROM events WHERE status = 'processed'`);
  return result.rows[0]!.count;
}
