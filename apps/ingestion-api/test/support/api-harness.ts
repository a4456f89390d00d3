import { createLogger, createMetricsRegistry, loadConfig, openServices, type Config, type Services } from '@ingestion/core';
import { createIsolatedEnvironment, type IsolatedEnvironment } from '@ingestion/core/testing';
import type { FastifyInstance } from 'fastify';

import { buildApp } from '../../src/app.js';
import { authenticationOptions } from '../../src/auth/authentication.js';
import { GroupCommitWriter } from '../../src/ingest/group-commit.js';
import { ApiMetrics } from '../../src/metrics/api-metrics.js';
import { createRelay } from '../../src/relay/create-relay.js';
import type { OutboxRelay } from '../../src/relay/outbox-relay.js';

/** The API wired to a database and RabbitMQ prefix of its own, driven with `app.inject`. */
export interface ApiHarness {
  readonly environment: IsolatedEnvironment;
  readonly config: Config;
  readonly services: Services;
  readonly app: FastifyInstance;
  readonly writer: GroupCommitWriter;
  readonly relay: OutboxRelay | undefined;
  close(): Promise<void>;
}

export async function startApiHarness(label: string, overrides: Record<string, string> = {}): Promise<ApiHarness> {
  const environment = await createIsolatedEnvironment(label);
  const config = loadConfig('test-api', { ...environment.env, LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent', ...overrides });
  const logger = createLogger(config.serviceName, config.LOG_LEVEL);
  const services = await openServices(config, logger, AbortSignal.timeout(30_000));
  await services.broker.waitForConnect();
  const metrics = new ApiMetrics(createMetricsRegistry());
  const relay = config.RELAY_ENABLED ? createRelay(config, services, logger, metrics) : undefined;
  const writer = new GroupCommitWriter(
    services.pool,
    {
      windowMs: config.GROUP_COMMIT_WINDOW_MS,
      maxBatchEvents: config.GROUP_COMMIT_MAX_EVENTS,
      maxPendingEvents: config.INGEST_MAX_PENDING_EVENTS,
      maxQueueWaitMs: config.INGEST_MAX_QUEUE_WAIT_MS,
      maxConcurrentCommits: 4,
    },
    logger,
    () => relay?.wake(),
    metrics,
  );
  const app = await buildApp({
    pool: services.pool,
    broker: services.broker,
    writer,
    logger,
    bodyLimitBytes: config.INGEST_BODY_LIMIT_BYTES,
    batchMaxEvents: config.INGEST_BATCH_MAX_EVENTS,
    commitTimeoutMs: config.INGEST_COMMIT_TIMEOUT_MS,
    isShuttingDown: () => false,
    authentication: authenticationOptions(config, services.pool),
    metrics,
  });
  await app.ready();
  relay?.start();
  return {
    environment,
    config,
    services,
    app,
    writer,
    relay,
    async close() {
      await app.close();
      await relay?.stop();
      await services.broker.close();
      await services.pool.end();
      await environment.cleanup();
    },
  };
}
