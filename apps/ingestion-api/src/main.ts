import {
  createLogger,
  createMetricsRegistry,
  exitOnStartupFailure,
  loadConfig,
  onShutdownSignal,
  openServices,
  startTracing,
  type Config,
} from '@ingestion/core';

import { buildApp } from './app.js';
import { authenticationOptions } from './auth/authentication.js';
import { registerBootstrapKey } from './auth/bootstrap-key.js';
import { GroupCommitWriter } from './ingest/group-commit.js';
import { ApiMetrics } from './metrics/api-metrics.js';
import { registerOutboxGauges } from './metrics/outbox-gauges.js';
import { createRelay } from './relay/create-relay.js';

/** Entry point of Ingestion.Api: the HTTP API and, unless RELAY_ENABLED=false, the outbox relay. */
async function main(config: Config): Promise<void> {
  const logger = createLogger(config.serviceName, config.LOG_LEVEL);
  const tracing = startTracing(config, logger);
  const metrics = new ApiMetrics(createMetricsRegistry());
  const startup = new AbortController();
  let shuttingDown = false;
  onShutdownSignal(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
    shuttingDown = true;
    startup.abort();
    await stop();
  });

  let stop: () => Promise<void> = async () => undefined;
  try {
    const services = await openServices(config, logger, startup.signal);
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
      isShuttingDown: () => shuttingDown,
      authentication: authenticationOptions(config, services.pool),
      metrics,
    });
    stop = async () => {
      await app.close(); // stops accepting requests and waits for those in flight
      await relay?.stop();
      await services.broker.close();
      await services.pool.end();
      await tracing.shutdown();
    };
    relay?.start();
    await app.listen({ host: config.HOST, port: config.PORT });
  } catch (error) {
    if (startup.signal.aborted) return;
    exitOnStartupFailure(logger, error);
  }
}

let config: Config;
try {
  config = loadConfig('ingestion-api');
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
await main(config);
