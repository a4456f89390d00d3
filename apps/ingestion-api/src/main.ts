import { openServices, runService } from '@ingestion/core';

import { assembleApi } from './assemble-api.js';

/** Entry point of Ingestion.Api: the HTTP API and, unless RELAY_ENABLED=false, the outbox relay. */
await runService('ingestion-api', async ({ config, logger, signal, isShuttingDown, onStop }) => {
  const services = await openServices(config, logger, signal);
  const { app, relay } = await assembleApi(config, services, logger, isShuttingDown);
  onStop(async () => {
    await app.close(); // stops accepting requests and waits for those in flight
    await relay?.stop();
    await services.broker.close();
    await services.pool.end();
  });
  relay?.start();
  await app.listen({ host: config.HOST, port: config.PORT });
});
