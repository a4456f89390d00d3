import type pg from 'pg';

import { generateApiKey, type Scope } from '../../src/auth/api-key.js';
import { insertApiKey } from '../../src/auth/key-store.js';

/** Stores a new key with these scopes and returns the `Authorization` header that sends it. */
export async function createTestKey(pool: pg.Pool, scopes: Scope[], rateLimitPerMinute: number | null = null) {
  const key = generateApiKey();
  const stored = await insertApiKey(pool, key, { name: `test ${scopes.join(',')}`, scopes, rateLimitPerMinute });
  return { key, id: stored!.id, authorization: `Bearer ${key}` };
}
