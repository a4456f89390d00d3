import type pg from 'pg';

import { hashApiKey, type ApiKey } from './api-key.js';
import { findActiveApiKey } from './key-store.js';

/** Most entries the cache keeps; past this it starts again empty, so random keys cannot grow it without bound. */
const MAX_ENTRIES = 10_000;

/**
 * Looks up API keys by hash and caches each result (found or not) for `ttlMs`, so that a busy client
 * costs one database query per TTL instead of one per request. A revoked key stops working within `ttlMs`.
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, { key: ApiKey | undefined; expiresAt: number }>();
  private readonly pool: pg.Pool;
  private readonly ttlMs: number;

  constructor(pool: pg.Pool, ttlMs: number) {
    this.pool = pool;
    this.ttlMs = ttlMs;
  }

  async find(secret: string): Promise<ApiKey | undefined> {
    const hash = hashApiKey(secret);
    const cacheKey = hash.toString('base64');
    const now = Date.now();
    const cached = this.entries.get(cacheKey);
    if (cached !== undefined && cached.expiresAt > now) return cached.key;

    const key = await findActiveApiKey(this.pool, hash);
    if (this.ttlMs > 0) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      this.entries.set(cacheKey, { key, expiresAt: now + this.ttlMs });
    }
    return key;
  }
}
