import { createLogger, exitOnStartupFailure, loadConfig, onShutdownSignal, openServices, startTracing, type Config } from '@ingestion/core';

import { createRelay } from './relay/create-relay.js';

/**
 * Entry point of a relay that runs on its own, for deployments that scale it apart from the API.
 * TODO: serve the relay metrics; this process has no HTTP server, so only the API's relay is measured.
 */
async function main(config: Config): Promise<void> {
  const logger = createLogger(config.serviceName, config.LOG_LEVEL);
  const tracing = startTracing(config, logger);
  const startup = new AbortController();
  let stop: () => Promise<void> = async () => undefined;
  onShutdownSignal(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
    startup.abort();
    await stop();
  });
  try {
    const services = await openServices(config, logger, startup.signal);
    const relay = createRelay(config, services, logger);
    stop = async () => {
      await relay.stop();
      await services.broker.close();
      await services.pool.end();
      await tracing.shutdown();
    };
    relay.start();
  } catch (error) {
    if (startup.signal.aborted) return;
    exitOnStartupFailure(logger, error);
  }
}

let config: Config;
try {
  config = loadConfig('outbox-relay');
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
await main(config);
