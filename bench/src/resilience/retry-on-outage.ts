import { createLogger, isConnectionError, retryUntil } from '@ingestion/core';
import type pg from 'pg';

/** Maximum outage of PostgreSQL or RabbitMQ that a benchmark step waits out, in milliseconds. */
const OUTAGE_LIMIT_MS = 120_000;

const logger = createLogger('bench', 'warn');

/**
 * Runs `operation`, retrying with backoff while it fails, for up to OUTAGE_LIMIT_MS. Only for
 * idempotent steps, because a restart of PostgreSQL or RabbitMQ by other work on a shared machine
 * should delay the run, not end it. `isRetryable` narrows which errors are retried.
 */
export function retryOnOutage<T>(action: string, operation: () => Promise<T>, isRetryable: (error: Error) => boolean = () => true): Promise<T> {
  return retryUntil(operation, { action, logger, signal: AbortSignal.timeout(OUTAGE_LIMIT_MS), isRetryable });
}

/** The part of pg.Pool the benchmark uses to read and clean its database. */
export interface Database {
  query<Row extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<Row>>;
}

/** Wraps a pool so that each query is retried while PostgreSQL is unreachable; every query given to it must be idempotent. */
export function retryingDatabase(pool: pg.Pool): Database {
  return {
    query: <Row extends pg.QueryResultRow>(text: string, values?: unknown[]) =>
      retryOnOutage('query PostgreSQL', () => pool.query<Row>(text, values), isConnectionError),
  };
}
