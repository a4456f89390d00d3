import { isDatabaseReachable, type BrokerConnection } from '@ingestion/core';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';

import { sendProblem } from '../http/problem.js';

export interface HealthOptions {
  readonly pool: pg.Pool;
  readonly broker: BrokerConnection;
  /** True once shutdown began: the instance reports not ready so that load balancers drain it. */
  readonly isShuttingDown: () => boolean;
}

/** Time the readiness probe waits for PostgreSQL before it reports the database down. */
const DATABASE_PROBE_TIMEOUT_MS = 2_000;

export function registerHealthRoutes(app: FastifyInstance, options: HealthOptions): void {
  app.get('/health/live', async () => ({ status: 'ok' }));

  app.get('/health/ready', async (request, reply) => {
    const checks = {
      database: await isDatabaseReachable(options.pool, DATABASE_PROBE_TIMEOUT_MS),
      broker: options.broker.isConnected,
      shuttingDown: options.isShuttingDown(),
    };
    if (checks.database && checks.broker && !checks.shuttingDown) return { status: 'ready', checks };
    const down = [!checks.database && 'PostgreSQL is unreachable', !checks.broker && 'RabbitMQ is unreachable', checks.shuttingDown && 'shutting down'];
    reply.header('cache-control', 'no-store');
    return sendProblem(request, reply, 'INGEST_NOT_READY', { detail: `Not ready: ${down.filter(Boolean).join(', ')}.`, retryAfterSeconds: 5 });
  });
}
