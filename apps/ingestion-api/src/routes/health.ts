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
  const open = { config: { public: true }, schema: { tags: ['health'], security: [] } };
  app.get('/health/live', { ...open, schema: { ...open.schema, summary: 'Liveness: the process runs' } }, async () => ({ status: 'ok' }));

  app.get('/health/ready', { ...open, schema: { ...open.schema, summary: 'Readiness: PostgreSQL and RabbitMQ are reachable' } }, async (request, reply) => {
    const checks = {
      database: await isDatabaseReachable(options.pool, DATABASE_PROBE_TIMEOUT_MS),
      broker: options.broker.isConnected,
      shuttingDown: options.isShuttingDown(),
    };
    // Ready means every dependency is reachable. While only RabbitMQ is down the API still accepts
    // events into the outbox, so route traffic on /health/live if that should continue then.
    if (checks.database && checks.broker && !checks.shuttingDown) return { status: 'ready', checks };
    const down = [!checks.database && 'PostgreSQL is unreachable', !checks.broker && 'RabbitMQ is unreachable', checks.shuttingDown && 'shutting down'];
    reply.header('cache-control', 'no-store');
    return sendProblem(request, reply, 'INGEST_NOT_READY', { detail: `Not ready: ${down.filter(Boolean).join(', ')}.`, retryAfterSeconds: 5 });
  });
}
