import { createMetricsRegistry, openServices, runService } from '@ingestion/core';

import { buildApp } from './app.js';
import { authenticationOptions } from './auth/authentication.js';
import { registerBootstrapKey } from './auth/bootstrap-key.js';
import { GroupCommitWriter } from './ingest/group-commit.js';
import { ApiMetrics } from './metrics/api-metrics.js';
import { registerOutboxGauges } from './metrics/outbox-gauges.js';
import { createRelay } from './relay/create-relay.js';

/** Entry point of Ingestion.Api: the HTTP API and, unless RELAY_ENABLED=false, the outbox relay. */
await runService('ingestion-api', async ({ config, logger, signal, isShuttingDown, onStop }) => {
  const metrics = new ApiMetrics(createMetricsRegistry());
  const services = await openServices(config, logger, signal);
  registerOutboxGauges(metrics.registry, services.pool);
  const relay = config.RELAY_ENABLED ? createRelay(config, services, logger, metrics) : undefined;
  const writer = new GroupCommitWriter(
    services.pool,
    {
      windowMs: config.GROUP_COMMIT_WINDOW_MS,
      maxBatchEvents: config.GROUP_COMMIT_MAX_EVENTS,
      maxPendingEvents: config.INGEST_MAX_PENDING_EVENTS,
      maxQueueWaitMs: config.INGEST_MAX_QUEUE_WAIT_MS,
      maxConcurrentCommits: Math.max(1, config.DATABASE_POOL_SIZE - 2),
    },
    logger,
    () => relay?.wake(),
    metrics,
  );
  await registerBootstrapKey(services.pool, config, logger);
  const app = await buildApp({
    pool: services.pool,
    broker: services.broker,
    writer,
    logger,
    bodyLimitBytes: config.INGEST_BODY_LIMIT_BYTES,
    batchMaxEvents: config.INGEST_BATCH_MAX_EVENTS,
    commitTimeoutMs: config.INGEST_COMMIT_TIMEOUT_MS,
    isShuttingDown,
    authentication: authenticationOptions(config, services.pool),
    metrics,
  });
  onStop(async () => {
    await app.close(); // stops accepting requests and waits for those in flight
    await relay?.stop();
    await services.broker.close();
    await services.pool.end();
  });
  relay?.start();
  await app.listen({ host: config.HOST, port: config.PORT });
});
