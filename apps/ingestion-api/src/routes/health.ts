import { checkReadiness, type ReadinessSources } from '@ingestion/core';
import type { FastifyInstance } from 'fastify';

import { sendProblem } from '../http/problem.js';

export function registerHealthRoutes(app: FastifyInstance, options: ReadinessSources): void {
  const open = { config: { public: true }, schema: { tags: ['health'], security: [] } };
  app.get('/health/live', { ...open, schema: { ...open.schema, summary: 'Liveness: the process runs' } }, async () => ({ status: 'ok' }));

  app.get('/health/ready', { ...open, schema: { ...open.schema, summary: 'Readiness: PostgreSQL and RabbitMQ are reachable' } }, async (request, reply) => {
    const { ready, checks, detail } = await checkReadiness(options);
    // Ready means every dependency is reachable. While only RabbitMQ is down the API still accepts
    // events into the outbox, so route traffic on /health/live if that should continue then.
    if (ready) return { status: 'ready', checks };
    reply.header('cache-control', 'no-store');
    return sendProblem(request, reply, 'INGEST_NOT_READY', { detail, retryAfterSeconds: 5 });
  });
}
