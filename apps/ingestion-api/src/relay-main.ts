import { createMetricsRegistry, OperationsServer, openServices, runService } from '@ingestion/core';

import { registerOutboxGauges } from './metrics/outbox-gauges.js';
import { RelayMetrics } from './metrics/relay-metrics.js';
import { createRelay } from './relay/create-relay.js';

/**
 * Entry point of a relay that runs on its own, for deployments that scale it apart from the API.
 * It serves /health/live, /health/ready and /metrics on RELAY_HTTP_PORT.
 */
await runService('outbox-relay', async ({ config, logger, signal, isShuttingDown, onStop }) => {
  const metrics = new RelayMetrics(createMetricsRegistry());
  const services = await openServices(config, logger, signal);
  // The relay drains the outbox, so its backlog belongs with its own metrics, for dashboards and
  // autoscalers that watch only the relay's Deployment.
  registerOutboxGauges(metrics.registry, services.pool);
  const relay = createRelay(config, services, logger, metrics);
  const server = new OperationsServer({
    processName: 'relay',
    host: config.HOST,
    port: config.RELAY_HTTP_PORT,
    pool: services.pool,
    broker: services.broker,
    registry: metrics.registry,
    isShuttingDown,
    logger,
  });
  onStop(async () => {
    await relay.stop();
    await server.close();
    await services.broker.close();
    await services.pool.end();
  });
  await server.listen();
  relay.start();
});
