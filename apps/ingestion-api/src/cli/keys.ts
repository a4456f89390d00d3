#!/usr/bin/env node
import { parseArgs } from 'node:util';

import { createLogger, loadConfig, migrate } from '@ingestion/core';
import pg from 'pg';

import { generateApiKey, isScope, SCOPES, type ApiKey, type Scope } from '../auth/api-key.js';
import { insertApiKey, listApiKeys, revokeApiKey } from '../auth/key-store.js';

const USAGE = `Manages API keys in the database named by DATABASE_URL.

Usage: npm run keys -- <command> [options]

Commands:
  create --name NAME [--scopes LIST] [--rate-limit N]
        Creates a key and prints it once; only its hash is stored.
        --scopes      comma-separated: ${SCOPES.join(', ')} (default: ingest,read)
        --rate-limit  requests per minute for this key (default: RATE_LIMIT_PER_MINUTE of the API)
  list  Lists every key with its id, prefix, scopes and state; never the key itself.
  revoke ID
        Revokes the key with this id. API processes reject it within AUTH_CACHE_TTL_MS.

Options:
  --json  prints JSON instead of text
  --help  prints this help
`;

/** Thrown for a command line that cannot be run; the CLI prints the message and the usage. */
class UsageError extends Error {}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      scopes: { type: 'string', default: 'ingest,read' },
      'rate-limit': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || command === undefined) {
    console.log(USAGE);
    return;
  }

  const config = loadConfig('keys-cli', { ...process.env, LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn' });
  await migrate(config.DATABASE_URL, createLogger(config.serviceName, config.LOG_LEVEL));
  const client = new pg.Client({ connectionString: config.DATABASE_URL, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    if (command === 'create') {
      const key = generateApiKey();
      const stored = await insertApiKey(client, key, {
        name: requireName(values.name),
        scopes: parseScopes(values.scopes),
        rateLimitPerMinute: parseRateLimit(values['rate-limit']),
      });
      if (stored === undefined) throw new Error('A key with the same hash exists already; run the command again.');
      print(values.json, { ...describe(stored), key }, () =>
        [`Created key ${stored.id} (${stored.name}), scopes ${stored.scopes.join(',')}.`, 'Store it now; it is not shown again:', key].join('\n'),
      );
    } else if (command === 'list') {
      const keys = await listApiKeys(client);
      print(values.json, keys.map(describe), () =>
        keys.length === 0 ? 'No keys.' : keys.map((key) => formatRow(describe(key))).join('\n'),
      );
    } else if (command === 'revoke') {
      const id = rest[0];
      if (id === undefined || !UUID.test(id)) throw new UsageError('revoke needs the id of a key, as `list` shows it.');
      const revoked = await revokeApiKey(client, id);
      if (revoked === undefined) throw new Error(`No key has the id ${id}.`);
      print(values.json, describe(revoked), () => `Revoked key ${revoked.id} (${revoked.name}).`);
    } else {
      throw new UsageError(`Unknown command "${command}".`);
    }
  } finally {
    await client.end();
  }
}

function requireName(name: string | undefined): string {
  if (name === undefined || name.trim() === '' || name.length > 200) throw new UsageError('create needs --name with 1 to 200 characters.');
  return name;
}

function parseScopes(list: string): Scope[] {
  const scopes = [...new Set(list.split(',').map((scope) => scope.trim()))];
  const unknown = scopes.filter((scope) => !isScope(scope));
  if (unknown.length > 0 || scopes.length === 0) {
    throw new UsageError(`--scopes must list ${SCOPES.join(', ')}; unknown: ${unknown.join(', ')}.`);
  }
  return scopes as Scope[];
}

function parseRateLimit(value: string | undefined): number | null {
  if (value === undefined) return null;
  const limit = Number(value);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 2_147_483_647) {
    throw new UsageError('--rate-limit must be a whole number of requests per minute, at least 1.');
  }
  return limit;
}

function describe(key: ApiKey) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.keyPrefix,
    scopes: key.scopes,
    rateLimitPerMinute: key.rateLimitPerMinute,
    createdAt: key.createdAt.toISOString(),
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}

function formatRow(key: ReturnType<typeof describe>): string {
  const state = key.revokedAt === null ? 'active' : `revoked ${key.revokedAt}`;
  const limit = key.rateLimitPerMinute === null ? 'default limit' : `${key.rateLimitPerMinute}/min`;
  return `${key.id}  ${key.prefix}…  ${key.scopes.join(',')}  ${limit}  ${state}  ${key.name}`;
}

function print(json: boolean, value: unknown, text: () => string): void {
  console.log(json ? JSON.stringify(value, null, 2) : text());
}

try {
  await run(process.argv.slice(2));
} catch (error) {
  console.error(`keys: ${(error as Error).message}`);
  const isUsageError = error instanceof UsageError || String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
  if (isUsageError) console.error(`\n${USAGE}`);
  process.exitCode = isUsageError ? 2 : 1;
}
