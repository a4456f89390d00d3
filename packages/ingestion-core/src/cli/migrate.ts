#!/usr/bin/env node
import { loadConfig } from '../config/config.js';
import { migrate } from '../db/migrate.js';
import { createLogger, redactUrl } from '../logging/logger.js';
import { retryUntil } from '../resilience/retry-until.js';

const config = loadConfig('migrate');
const logger = createLogger(config.serviceName, config.LOG_LEVEL);
const signal = AbortSignal.timeout(120_000);

try {
  const applied = await retryUntil(() => migrate(config.DATABASE_URL, logger), {
    action: 'run migrations',
    logger,
    signal,
    isRetryable: (error) => !error.message.startsWith('Migration '),
  });
  logger.info({ database: redactUrl(config.DATABASE_URL), applied: applied.length }, 'database schema is up to date');
} catch (error) {
  logger.fatal({ err: error }, 'migrations failed');
  process.exitCode = 1;
}
