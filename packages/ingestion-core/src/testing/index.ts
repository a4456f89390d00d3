import { randomBytes } from 'node:crypto';

import amqplib from 'amqplib';
import pg from 'pg';

import { migrate } from '../db/migrate.js';
import { createLogger } from '../logging/logger.js';
import { topologyNames, type TopologyNames } from '../messaging/topology.js';

/** Server URLs the tests use; the defaults match the services of a development machine. */
export const TEST_POSTGRES_URL = process.env['TEST_DATABASE_SERVER_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_RABBITMQ_URL = process.env['TEST_RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

/** A database and a RabbitMQ prefix of one's own, so that test runs can share the servers. */
export interface IsolatedEnvironment {
  readonly databaseUrl: string;
  readonly rabbitmqUrl: string;
  readonly prefix: string;
  readonly names: TopologyNames;
  /**
   * Environment variables that point a process of the product at this environment. They turn API keys
   * off (AUTH_DISABLED=true), so tests that check authentication set AUTH_DISABLED=false themselves.
   */
  readonly env: Record<string, string>;
  /** Drops the database and deletes the exchanges and queues. */
  cleanup(): Promise<void>;
}

/** Creates a migrated database and a unique exchange and queue prefix for one test file. */
export async function createIsolatedEnvironment(label: string): Promise<IsolatedEnvironment> {
  const suffix = `${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const database = `ingestion_test_${suffix}`;
  const databaseUrl = new URL(TEST_POSTGRES_URL);
  databaseUrl.pathname = `/${database}`;
  const prefix = `test.${suffix}`;
  const names = topologyNames(prefix);
  await migrate(databaseUrl.toString(), createLogger('test-migrate', 'warn'));

  return {
    databaseUrl: databaseUrl.toString(),
    rabbitmqUrl: TEST_RABBITMQ_URL,
    prefix,
    names,
    env: {
      DATABASE_URL: databaseUrl.toString(),
      RABBITMQ_URL: TEST_RABBITMQ_URL,
      RABBITMQ_PREFIX: prefix,
      AUTH_DISABLED: 'true',
    },
    async cleanup() {
      await deleteTopology(names);
      await dropDatabase(database);
    },
  };
}

async function deleteTopology(names: TopologyNames): Promise<void> {
  const connection = await amqplib.connect(TEST_RABBITMQ_URL);
  try {
    const channel = await connection.createChannel();
    await channel.deleteQueue(names.processQueue);
    await channel.deleteQueue(names.deadLetterQueue);
    await channel.deleteExchange(names.eventsExchange);
    await channel.deleteExchange(names.deadLetterExchange);
    await channel.close();
  } finally {
    await connection.close();
  }
}

async function dropDatabase(database: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Polls `check` until it returns a value other than undefined, or throws when `timeoutMs` passes. */
export async function waitFor<T>(description: string, check: () => Promise<T | undefined>, timeoutMs = 30_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}`, { cause: last });
}
export * from './processes.js';
export * from './free-port.js';
export * from './ingest-load.js';
