import type { Config, Logger, Services } from '@ingestion/core';

import type { RelayMetrics } from '../metrics/relay-metrics.js';
import { OutboxRelay } from './outbox-relay.js';

export function createRelay(config: Config, services: Services, logger: Logger, metrics?: RelayMetrics): OutboxRelay {
  return new OutboxRelay(
    services.pool,
    services.broker,
    {
      batchSize: config.RELAY_BATCH_SIZE,
      eventsPerMessage: config.RELAY_EVENTS_PER_MESSAGE,
      concurrency: config.RELAY_CONCURRENCY,
      pollIntervalMs: config.RELAY_POLL_INTERVAL_MS,
      lingerMs: config.RELAY_LINGER_MS,
      confirmTimeoutMs: config.RELAY_CONFIRM_TIMEOUT_MS,
      databaseUrl: config.DATABASE_URL,
      appId: config.serviceName,
    },
    logger,
    metrics,
  );
}
