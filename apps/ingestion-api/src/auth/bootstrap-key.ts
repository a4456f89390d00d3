import type { Logger } from '@ingestion/core';
import type pg from 'pg';

import { isScope, type Scope } from './api-key.js';
import { insertApiKey } from './key-store.js';

/**
 * Registers AUTH_BOOTSTRAP_KEY at start-up so that a fresh deployment has a first key. A key registered
 * before stays as it is, so revoking the bootstrap key sticks across restarts until the setting changes.
 */
export async function registerBootstrapKey(pool: pg.Pool, key: string, scopeList: string, logger: Logger): Promise<void> {
  const scopes = scopeList.split(',').filter(isScope) as Scope[];
  const stored = await insertApiKey(pool, key, { name: 'bootstrap (AUTH_BOOTSTRAP_KEY)', scopes, rateLimitPerMinute: null });
  if (stored !== undefined) logger.info({ keyId: stored.id, scopes }, 'bootstrap API key registered');
}
