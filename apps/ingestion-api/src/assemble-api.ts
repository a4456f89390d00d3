import { createMetricsRegistry, type Config, type Logger, type Services } from '@ingestion/core';
import type { FastifyInstance } from 'fastify';

import { buildApp } from './app.js';
import { authenticationOptions } from './auth/authentication.js';
import { registerBootstrapKey } from './auth/bootstrap-key.js';
import { GroupCommitWriter } from './ingest/group-commit.js';
import { ApiMetrics } from './metrics/api-metrics.js';
import { registerOutboxGauges } from './metrics/outbox-gauges.js';
import { createRelay } from './relay/create-relay.js';
import type { OutboxRelay } from './relay/outbox-relay.js';

/** The parts of an API process, wired together but not yet started. */
export interface AssembledApi {
  readonly app: FastifyInstance;
  readonly writer: GroupCommitWriter;
  /** The outbox relay, or undefined when RELAY_ENABLED=false. */
  readonly relay: OutboxRelay | undefined;
  readonly metrics: ApiMetrics;
}

/**
 * Wires the HTTP app, the group-commit writer, the relay and the metrics from the configuration,
 * and registers the bootstrap API key. The entry point and the test harness both use it, so tests
 * run the same wiring as production.
 */
export async function assembleApi(config: Config, services: Services, logger: Logger, isShuttingDown: () => boolean): Promise<AssembledApi> {
  const metrics = new ApiMetrics(createMetricsRegistry());
  registerOutboxGauges(metrics.registry, services.pool);
  const relay = config.RELAY_ENABLED ? createRelay(config, services, logger, metrics.relay) : undefined;
  const writer = new GroupCommitWriter(
    services.pool,
    {
      windowMs: config.GROUP_COMMIT_WINDOW_MS,
      maxBatchEvents: config.GROUP_COMMIT_MAX_EVENTS,
      maxPendingEvents: config.INGEST_MAX_PENDING_EVENTS,
      maxPendingBytes: config.INGEST_MAX_PENDING_BYTES,
      maxQueueWaitMs: config.INGEST_MAX_QUEUE_WAIT_MS,
      // Leaves two pooled connections for status reads and readiness probes.
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
  return { app, writer, relay, metrics };
}
