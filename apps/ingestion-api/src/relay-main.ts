import { openServices, runService } from '@ingestion/core';

import { createRelay } from './relay/create-relay.js';

/**
 * Entry point of a relay that runs on its own, for deployments that scale it apart from the API.
 * TODO: serve the relay metrics; this process has no HTTP server, so only the API's relay is measured.
 */
await runService('outbox-relay', async ({ config, logger, signal, onStop }) => {
  const services = await openServices(config, logger, signal);
  const relay = createRelay(config, services, logger);
  onStop(async () => {
    await relay.stop();
    await services.broker.close();
    await services.pool.end();
  });
  relay.start();
});
