import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';

import pg from 'pg';

import { createLogger, migrate } from '../src/index.js';
import { TEST_POSTGRES_URL } from '../src/testing/index.js';

describe('migrate', () => {
  const database = `ingestion_test_migrate_${randomBytes(4).toString('hex')}`;
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${database}`;

  after(async () => {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await client.end();
  });

  it('creates the database and applies each migration once under concurrency', async () => {
    const logger = createLogger('test', 'silent');
    const runs = await Promise.all(Array.from({ length: 4 }, () => migrate(url.toString(), logger)));
    const applied = runs.flat();
    assert.ok(applied.length > 0);
    assert.equal(new Set(applied).size, applied.length, 'a migration was applied twice');

    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    const tables = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    await client.end();
    for (const table of ['events', 'outbox', 'schema_migrations']) {
      assert.ok(tables.rows.some((row) => row.table_name === table), `table ${table} is missing`);
    }
    assert.deepEqual(await migrate(url.toString(), logger), []);
  });
});
