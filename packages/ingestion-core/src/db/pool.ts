import pg from 'pg';

import type { Logger } from '../logging/logger.js';
import { valueWithin } from '../resilience/value-within.js';

export interface PoolOptions {
  readonly connectionString: string;
  readonly max: number;
  /** Cancels a statement, and ends a session idle inside a transaction, after this many milliseconds. */
  readonly statementTimeoutMs: number;
  readonly applicationName: string;
}

/**
 * Creates a PostgreSQL pool whose sessions cannot hang: statements, lock waits and idle transactions
 * all time out, so a stuck process never holds rows or locks forever.
 */
export function createPool(options: PoolOptions, logger: Logger): pg.Pool {
  const timeout = options.statementTimeoutMs;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max,
    application_name: options.applicationName,
    connectionTimeoutMillis: Math.min(timeout, 10_000),
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    options: `-c statement_timeout=${timeout} -c lock_timeout=${timeout} -c idle_in_transaction_session_timeout=${timeout}`,
  });
  // An idle client whose connection dies emits 'error' on the pool; without a listener the process would exit.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection failed'));
  // A checked-out client between two queries (a relay waiting for publisher confirms, a worker running a
  // handler) emits 'error' on itself when its connection dies, and pg-pool listens only while the client
  // is idle. The client's next query then fails, and the caller's error handling takes over.
  pool.on('connect', (client) => {
    client.on('error', (error) => logger.warn({ err: error }, 'PostgreSQL connection in use failed'));
  });
  return pool;
}

/** Runs `work` inside a transaction on a pooled client, committing on success and rolling back on error. */
export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch {
      broken = true;
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

/** Runs `SELECT 1` and returns whether it succeeded within `timeoutMs`, for readiness probes. */
export async function isDatabaseReachable(pool: pg.Pool, timeoutMs: number): Promise<boolean> {
  const probe = pool.query('SELECT 1').then(
    () => true,
    () => false,
  );
  return valueWithin(probe, timeoutMs, false);
}

/** SQLSTATE classes that mean "the database is not reachable right now", as opposed to a bad query. */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return /Connection terminated|connect|timeout/i.test(error.message);
  return (
    code.startsWith('08') || // connection exception
    code === '57P01' || // admin_shutdown
    code === '57P02' || // crash_shutdown
    code === '57P03' || // cannot_connect_now
    code === '53300' || // too_many_connections
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'ETIMEDOUT' ||
    code === 'EPIPE'
  );
}
