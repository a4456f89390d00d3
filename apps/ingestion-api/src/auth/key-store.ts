import { randomUUID } from 'node:crypto';

import type { ClientBase } from 'pg';

import { hashApiKey, shownPrefix, type ApiKey, type Scope } from './api-key.js';

type Queryable = Pick<ClientBase, 'query'>;

interface ApiKeyRow {
  id: string;
  name: string;
  key_prefix: string;
  scopes: Scope[];
  rate_limit_per_minute: number | null;
  created_at: Date;
  revoked_at: Date | null;
}

const COLUMNS = 'id, name, key_prefix, scopes, rate_limit_per_minute, created_at, revoked_at';

function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    keyPrefix: row.key_prefix,
    scopes: row.scopes,
    rateLimitPerMinute: row.rate_limit_per_minute,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

export interface NewApiKey {
  readonly name: string;
  readonly scopes: readonly Scope[];
  readonly rateLimitPerMinute: number | null;
}

/** Stores the hash of `key`. Returns the stored key, or undefined when a key with the same hash exists. */
export async function insertApiKey(db: Queryable, key: string, attributes: NewApiKey): Promise<ApiKey | undefined> {
  const result = await db.query<ApiKeyRow>(
    `INSERT INTO api_keys (id, name, key_hash, key_prefix, scopes, rate_limit_per_minute)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (key_hash) DO NOTHING
     RETURNING ${COLUMNS}`,
    [randomUUID(), attributes.name, hashApiKey(key), shownPrefix(key), attributes.scopes, attributes.rateLimitPerMinute],
  );
  const row = result.rows[0];
  return row === undefined ? undefined : toApiKey(row);
}

export async function listApiKeys(db: Queryable): Promise<ApiKey[]> {
  const result = await db.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at, id`);
  return result.rows.map(toApiKey);
}

/** Revokes a key by id. Returns the key, or undefined when no key has that id. */
export async function revokeApiKey(db: Queryable, id: string): Promise<ApiKey | undefined> {
  const result = await db.query<ApiKeyRow>(
    `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`,
    [id],
  );
  const row = result.rows[0];
  return row === undefined ? undefined : toApiKey(row);
}

/** Finds the key with this hash that is not revoked. */
export async function findActiveApiKey(db: Queryable, keyHash: Buffer): Promise<ApiKey | undefined> {
  const result = await db.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`, [keyHash]);
  const row = result.rows[0];
  return row === undefined ? undefined : toApiKey(row);
}
