import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { delay } from '@ingestion/core';
import { untilAccepted, waitFor } from '@ingestion/core/testing';

import { runScenario } from '../support/scenario.js';
import { withRabbitmqStopped } from '../support/services.js';

/** Shortest time RabbitMQ stays down, in milliseconds; it stays down longer until the API accepted events meanwhile. */
const OUTAGE_MS = 3_000;

describe('chaos: RabbitMQ stopped and started', () => {
  it('keeps accepting and delivers every event once', async () => {
    await runScenario({
      label: 'rabbitmq_outage',
      shape: { apis: 1, workers: 2 },
      events: 1500,
      ratePerSecond: 150,
      concurrency: 16,
      async fault(cluster, load) {
        await untilAccepted(load.report, 400);
        const before = load.report.accepted;
        const stoppedAt = Date.now();
        const during = await withRabbitmqStopped(async () => {
          await waitFor('the API to accept events while RabbitMQ is down', async () => (load.report.accepted >= before + 100 ? true : undefined), 30_000);
          const readiness = await fetch(`${cluster.apis[0]!.baseUrl}/health/ready`);
          await delay(Math.max(0, OUTAGE_MS - (Date.now() - stoppedAt)));
          return { acceptedWhileDown: load.report.accepted - before, readinessWhileDown: readiness.status };
        });
        const downForMs = Date.now() - stoppedAt;
        assert.equal(during.readinessWhileDown, 503, 'the API reported ready while RabbitMQ was down');
        await waitFor('every worker to consume again', async () => (cluster.workers.every((worker) => worker.logged('consuming') >= 2) ? true : undefined), 60_000);
        return {
          did: [`stopped RabbitMQ (rabbitmqctl stop_app) after ${before} events were accepted`, `started it again after ${downForMs} ms`],
          extra: {
            ...during,
            workerReconnects: cluster.workers.map((worker) => worker.logged('consuming') - 1),
          },
        };
      },
    });
  });
});
