#!/usr/bin/env node
import { createLogger, createPool, loadConfig, toError } from '@ingestion/core';

import { runReplayCommand } from '../replay/replay-command.js';

/** Command-line entry point of the replay of failed events; `--help` lists the options. */
try {
  const config = loadConfig('replay');
  const logger = createLogger(config.serviceName, config.LOG_LEVEL);
  const openPool = () =>
    createPool(
      {
        connectionString: config.DATABASE_URL,
        max: 2,
        statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
        applicationName: config.serviceName,
      },
      logger,
    );
  process.exitCode = await runReplayCommand(process.argv.slice(2), openPool, {
    info: (line) => console.log(line),
    error: (line) => console.error(line),
  });
} catch (error) {
  console.error(`replay failed: ${toError(error).message}`);
  process.exitCode = 1;
}
