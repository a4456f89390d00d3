import { createLogger, loadConfig, openServices, type Config, type Services } from '@ingestion/core';
import { createIsolatedEnvironment, type IsolatedEnvironment } from '@ingestion/core/testing';
import type { FastifyInstance } from 'fastify';

import { assembleApi } from '../../src/assemble-api.js';
import type { GroupCommitWriter } from '../../src/ingest/group-commit.js';
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
  const { app, writer, relay } = await assembleApi(config, services, logger, () => false);
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
