import { describe, it } from 'node:test';

import { untilAccepted, waitFor } from '@ingestion/core/testing';

import { runScenario } from '../support/scenario.js';

describe('chaos: API SIGKILLed with requests in flight', () => {
  it('loses no event that was answered 202, and clients resend the rest', async () => {
    await runScenario({
      label: 'api_kill',
      // A 50 ms group-commit window keeps requests waiting inside the API, so the kill finds several in flight.
      shape: { apis: 1, workers: 2, env: { GROUP_COMMIT_WINDOW_MS: '50' } },
      events: 1500,
      ratePerSecond: 250,
      concurrency: 32,
      async fault(cluster, load) {
        const api = cluster.apis[0]!;
        await untilAccepted(load.report, 400);
        // The relay runs inside the API process, so this kills a relay in the middle of its work too.
        const inFlight = await waitFor('requests in flight', async () => (load.report.inFlight >= 5 ? load.report.inFlight : undefined), 30_000, 1);
        const acceptedAtKill = load.report.accepted;
        await api.kill();
        await waitFor('a client to see the API gone', async () => (load.report.networkErrors > 0 ? true : undefined), 30_000);
        await api.restart();
        return {
          did: [`SIGKILLed the API and its relay with ${inFlight} requests in flight, after ${acceptedAtKill} events were accepted`, 'restarted it on the same port'],
          extra: { networkErrorsSoFar: load.report.networkErrors },
        };
      },
    });
  });
});
