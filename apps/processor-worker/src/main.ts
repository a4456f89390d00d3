import { createLogger, exitOnStartupFailure, loadConfig, onShutdownSignal, openServices, type Config } from '@ingestion/core';

import { EventConsumer } from './consumer.js';
import { loadHandlerRegistry } from './handlers/registry.js';
import { BatchProcessor } from './processing/batch-processor.js';

/** Entry point of Processor.Worker. Run as many as needed: they share the queue. */
async function main(config: Config): Promise<void> {
  const logger = createLogger(config.serviceName, config.LOG_LEVEL);
  const startup = new AbortController();
  let stop: () => Promise<void> = async () => undefined;
  onShutdownSignal(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
    startup.abort();
    await stop();
  });
  try {
    const registry = await loadHandlerRegistry(config.WORKER_HANDLER_MODULES);
    const services = await openServices(config, logger, startup.signal);
    const processor = new BatchProcessor(
      services.pool,
      registry,
      {
        maxAttempts: config.WORKER_MAX_ATTEMPTS,
        retryBackoff: { baseMs: config.WORKER_RETRY_BASE_DELAY_MS, maxMs: config.WORKER_RETRY_MAX_DELAY_MS },
        handlerTimeoutMs: config.WORKER_HANDLER_TIMEOUT_MS,
      },
      logger,
    );
    const consumer = new EventConsumer(
      services.broker,
      processor,
      { prefetch: config.WORKER_PREFETCH, batchSize: config.WORKER_BATCH_SIZE, concurrency: config.WORKER_CONCURRENCY },
      logger,
    );
    stop = async () => {
      await consumer.stop();
      await services.broker.close();
      await services.pool.end();
    };
    consumer.start();
    logger.info({ handlers: registry.types }, 'worker started');
  } catch (error) {
    if (startup.signal.aborted) return;
    exitOnStartupFailure(logger, error);
  }
}

let config: Config;
try {
  config = loadConfig('processor-worker');
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
await main(config);
