import { createMetricsRegistry, openServices, runService } from '@ingestion/core';

import { EventConsumer } from './consumer.js';
import { loadHandlerRegistry } from './handlers/registry.js';
import { WorkerServer } from './http/worker-server.js';
import { registerQueueGauges } from './metrics/queue-gauges.js';
import { WorkerMetrics } from './metrics/worker-metrics.js';
import { BatchProcessor } from './processing/batch-processor.js';

/** Entry point of Processor.Worker. Run as many as needed: they share the queue. */
await runService('processor-worker', async ({ config, logger, signal, isShuttingDown, onStop }) => {
  const metrics = new WorkerMetrics(createMetricsRegistry());
  const registry = await loadHandlerRegistry(config.WORKER_HANDLER_MODULES);
  const services = await openServices(config, logger, signal);
  registerQueueGauges(metrics.registry, services.broker, logger);
  const processor = new BatchProcessor(
    services.pool,
    registry,
    {
      maxAttempts: config.WORKER_MAX_ATTEMPTS,
      retryBackoff: { baseMs: config.WORKER_RETRY_BASE_DELAY_MS, maxMs: config.WORKER_RETRY_MAX_DELAY_MS },
      handlerTimeoutMs: config.WORKER_HANDLER_TIMEOUT_MS,
    },
    logger,
    metrics,
  );
  const consumer = new EventConsumer(
    services.broker,
    processor,
    { prefetch: config.WORKER_PREFETCH, batchSize: config.WORKER_BATCH_SIZE, concurrency: config.WORKER_CONCURRENCY },
    logger,
    metrics,
  );
  const server = new WorkerServer({
    host: config.HOST,
    port: config.WORKER_HTTP_PORT,
    pool: services.pool,
    broker: services.broker,
    registry: metrics.registry,
    isConsuming: () => consumer.isConsuming,
    isShuttingDown,
    logger,
  });
  onStop(async () => {
    await consumer.stop();
    await server.close();
    await services.broker.close();
    await services.pool.end();
  });
  await server.listen();
  consumer.start();
  logger.info({ handlers: registry.types }, 'worker started');
});
