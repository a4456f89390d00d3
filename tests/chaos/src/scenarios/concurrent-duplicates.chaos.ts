import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { runScenario } from '../support/scenario.js';

/** Requests sent for each distinct event, all at once, spread over both APIs. */
const COPIES = 10;

describe('chaos: the same event posted concurrently', () => {
  it('stores and processes each event once', async () => {
    await runScenario({
      label: 'duplicates',
      shape: { apis: 2, workers: 2 },
      events: 40,
      copies: COPIES,
      ratePerSecond: 20,
      concurrency: 40 * COPIES,
      async fault(cluster, load) {
        const finished = await load.finished;
        assert.equal(finished.duplicates, finished.accepted - 40, 'every answer after the first per event says duplicate');

        // The same client id with a different body is a conflict on either API.
        const [first] = await cluster.pool.query<{ cloud_event_id: string }>('SELECT cloud_event_id FROM events LIMIT 1').then((result) => result.rows);
        const conflicts = await Promise.all(
          cluster.apis.map((api) =>
            fetch(`${api.baseUrl}/Ingestion/ingest`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ id: first!.cloud_event_id, source: '/chaos', type: 'order.created', data: { changed: true } }),
            }).then((response) => response.status),
          ),
        );
        assert.deepEqual(conflicts, [409, 409]);
        return {
          did: [`posted each of 40 events ${COPIES} times at once, alternating between 2 APIs`, 'posted one id again with another body to each API'],
          extra: { duplicateAnswers: finished.duplicates, conflictStatuses: conflicts },
        };
      },
    });
  });
});
