import { randomUUID } from 'node:crypto';

import { isConnectionError } from '@ingestion/core';
import pg from 'pg';

import { retryOnOutage } from '../resilience/retry-on-outage.js';

/** Result of one database-ceiling phase. */
export interface DatabaseCeilingResult {
  readonly rowsPerSecond: number;
  readonly transactions: number;
  readonly clients: number;
  readonly eventsPerTransaction: number;
}

/**
 * Writes events and their outbox rows in one statement, `eventsPerTransaction` at a time, each
 * statement its own transaction. The columns match what the API writes, minus the conflict check.
 */
const INSERT_SQL = `WITH inserted AS (
    INSERT INTO events (id, cloud_event_id, source, type, subject, data_content_type, data, fingerprint)
    SELECT id, id::text, $2, 'bench.recorded', 'customer-1', 'application/json', $3, '\\x00'
      FROM unnest($1::uuid[]) AS t(id)
    RETURNING id
  )
  INSERT INTO outbox (event_id) SELECT id FROM inserted`;

/**
 * Measures the database ceiling: raw inserts of event plus outbox row with the driver the product
 * uses, from `clients` connections at once for `durationSeconds`. The caller empties the tables afterwards.
 */
export async function measureDatabaseCeiling(
  databaseUrl: string,
  eventsPerTransaction: number,
  clients: number,
  durationSeconds: number,
  data: Buffer,
): Promise<DatabaseCeilingResult> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: clients });
  pool.on('error', () => undefined); // an idle connection lost in a restart is replaced on the next query
  const deadline = performance.now() + durationSeconds * 1000;
  const startedAt = performance.now();
  let transactions = 0;
  const loop = async () => {
    while (performance.now() < deadline) {
      const ids = Array.from({ length: eventsPerTransaction }, () => randomUUID());
      await retryOnOutage('insert into PostgreSQL', () => pool.query(INSERT_SQL, [ids, '/bench/ceiling-database', data]), isConnectionError);
      transactions += 1;
    }
  };
  try {
    await Promise.all(Array.from({ length: clients }, loop));
  } finally {
    await pool.end();
  }
  const seconds = (performance.now() - startedAt) / 1000;
  return { rowsPerSecond: Math.round((transactions * eventsPerTransaction) / seconds), transactions, clients, eventsPerTransaction };
}
