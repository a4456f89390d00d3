import { readFile } from 'node:fs/promises';

import { ConfigurationError, type Config, type Logger } from '@ingestion/core';
import type pg from 'pg';

import { isScope, type Scope } from './api-key.js';
import { insertApiKey } from './key-store.js';

const MIN_KEY_LENGTH = 32;

/**
 * Registers the bootstrap key (AUTH_BOOTSTRAP_KEY, or the contents of AUTH_BOOTSTRAP_KEY_FILE) at start-up
 * so that a fresh deployment has a first key. A key registered before stays as it is, so revoking the
 * bootstrap key sticks across restarts until the setting changes. Does nothing when neither is set.
 */
export async function registerBootstrapKey(pool: pg.Pool, config: Config, logger: Logger): Promise<void> {
  const key = config.AUTH_BOOTSTRAP_KEY ?? (await readKeyFile(config.AUTH_BOOTSTRAP_KEY_FILE));
  if (key === undefined) return;
  const scopes = config.AUTH_BOOTSTRAP_KEY_SCOPES.split(',').filter(isScope) as Scope[];
  const stored = await insertApiKey(pool, key, { name: 'bootstrap (AUTH_BOOTSTRAP_KEY)', scopes, rateLimitPerMinute: null });
  if (stored !== undefined) logger.info({ keyId: stored.id, scopes }, 'bootstrap API key registered');
}

async function readKeyFile(path: string | undefined): Promise<string | undefined> {
  if (path === undefined) return undefined;
  let key: string;
  try {
    key = (await readFile(path, 'utf8')).trim();
  } catch (error) {
    throw new ConfigurationError(`AUTH_BOOTSTRAP_KEY_FILE: failed to read ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (key.length < MIN_KEY_LENGTH) throw new ConfigurationError(`AUTH_BOOTSTRAP_KEY_FILE: the key in ${path} must be at least ${MIN_KEY_LENGTH} characters`);
  return key;
}
