import type pg from 'pg';

import type { Config } from '../config/config.js';
import { migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import type { Logger } from '../logging/logger.js';
import { BrokerConnection } from '../messaging/connection.js';
import { topologyNames } from '../messaging/topology.js';
import { retryUntil } from '../resilience/retry-until.js';

/** Connections shared by the components of one process. */
export interface Services {
  readonly pool: pg.Pool;
  readonly broker: BrokerConnection;
}

/**
 * Brings the schema up to date, waiting for PostgreSQL if it is not up yet, then opens the pool and
 * starts connecting to RabbitMQ in the background.
 */
export async function openServices(config: Config, logger: Logger, signal: AbortSignal): Promise<Services> {
  await retryUntil(() => migrate(config.DATABASE_URL, logger), {
    action: 'migrate the database',
    logger,
    signal,
    isRetryable: (error) => !error.message.startsWith('Migration '),
  });
  const pool = createPool(
    {
      connectionString: config.DATABASE_URL,
      max: config.DATABASE_POOL_SIZE,
      statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
      applicationName: config.serviceName,
    },
    logger,
  );
  const broker = await BrokerConnection.open(
    {
      url: config.RABBITMQ_URL,
      names: topologyNames(config.RABBITMQ_PREFIX),
      queueType: config.RABBITMQ_QUEUE_TYPE,
      connectionName: `${config.serviceName}-${process.pid}`,
    },
    logger,
  );
  return { pool, broker };
}
