import type pg from 'pg';

import { isDatabaseReachable } from '../db/pool.js';
import type { BrokerConnection } from '../messaging/connection.js';

/** Sources of a readiness check: the PostgreSQL pool, the RabbitMQ connection and the shutdown state. */
export interface ReadinessSources {
  readonly pool: pg.Pool;
  readonly broker: BrokerConnection;
  /** True once shutdown began. The process then reports not ready, so that load balancers drain it. */
  readonly isShuttingDown: () => boolean;
}

/** Result of a readiness check, with each check and the reason the process is not ready. */
export interface Readiness {
  readonly ready: boolean;
  readonly checks: { readonly database: boolean; readonly broker: boolean; readonly shuttingDown: boolean };
  /** Sentence for the problem details of a 503, such as "Not ready: RabbitMQ is not connected.", or empty when ready. */
  readonly detail: string;
}

/** Time the readiness probe waits for PostgreSQL before it reports the database down. */
const DATABASE_PROBE_TIMEOUT_MS = 2_000;

/**
 * Checks what /health/ready reports in every process. Ready means that PostgreSQL runs a query,
 * RabbitMQ is connected and shutdown has not begun.
 */
export async function checkReadiness(sources: ReadinessSources): Promise<Readiness> {
  const checks = {
    database: await isDatabaseReachable(sources.pool, DATABASE_PROBE_TIMEOUT_MS),
    broker: sources.broker.isConnected,
    shuttingDown: sources.isShuttingDown(),
  };
  const ready = checks.database && checks.broker && !checks.shuttingDown;
  // "Not connected" rather than "unreachable", because the broker connection is also down while it is being opened.
  const down = [!checks.database && 'PostgreSQL is unreachable', !checks.broker && 'RabbitMQ is not connected', checks.shuttingDown && 'shutting down'];
  return { ready, checks, detail: ready ? '' : `Not ready: ${down.filter(Boolean).join(', ')}.` };
}
