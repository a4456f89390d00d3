import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type pg from 'pg';

import { createLogger, createPool, isConnectionError, withTransaction } from '../src/index.js';
import { createIsolatedEnvironment, waitFor, type IsolatedEnvironment } from '../src/testing/index.js';

describe('createPool', () => {
  let environment: IsolatedEnvironment;
  let pool: pg.Pool;

  before(async () => {
    environment = await createIsolatedEnvironment('pool');
    pool = createPool({ connectionString: environment.databaseUrl, max: 3, statementTimeoutMs: 5_000, applicationName: 'test-pool' }, createLogger('test', 'silent'));
  });
  after(async () => {
    await pool?.end();
    await environment?.cleanup();
  });

  it('survives the death of a checked-out connection', async () => {
    // Without the pool's listener the 'error' event of the idle checked-out client would crash this process.
    const failure = await withTransaction(pool, async (client) => {
      const { pid } = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!;
      await pool.query('SELECT pg_terminate_backend($1)', [pid]);
      return waitFor('the terminated connection to fail', () => client.query('SELECT 1').then(() => undefined, (error: Error) => error));
    }).then(
      () => assert.fail('the transaction committed on a terminated connection'),
      (error: unknown) => error,
    );
    assert.ok(failure instanceof Error);
    assert.ok(isConnectionError(failure), `not a connection error: ${String(failure)}`);

    const after = await pool.query<{ one: number }>('SELECT 1 AS one');
    assert.equal(after.rows[0]!.one, 1);
  });
});
