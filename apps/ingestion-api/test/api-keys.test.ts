import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';

import { createLogger } from '@ingestion/core';
import Fastify, { type FastifyBaseLogger } from 'fastify';

import { authenticationOptions, registerAuthentication, requireScope } from '../src/auth/authentication.js';
import { registerBootstrapKey } from '../src/auth/bootstrap-key.js';
import { generateApiKey, hashApiKey } from '../src/auth/api-key.js';
import { registerErrorHandlers } from '../src/http/error-handler.js';
import { createTestKey } from './support/api-keys.js';
import { startApiHarness, type ApiHarness } from './support/api-harness.js';

const KEYS_CLI = fileURLToPath(new URL('../src/cli/keys.js', import.meta.url));
const run = promisify(execFile);

const EVENT = JSON.stringify({ type: 'auth.check', data: { n: 1 } });

describe('API keys', () => {
  let harness: ApiHarness;

  before(async () => {
    harness = await startApiHarness('keys', { RELAY_ENABLED: 'false', AUTH_DISABLED: 'false', AUTH_CACHE_TTL_MS: '0' });
  });
  after(() => harness?.close());

  const keysCli = async (...args: string[]) => {
    const { stdout } = await run(process.execPath, [KEYS_CLI, ...args, '--json'], {
      env: { ...process.env, ...harness.environment.env, LOG_LEVEL: 'warn' },
    });
    return JSON.parse(stdout) as { id: string; key?: string; prefix: string; scopes: string[]; revokedAt: string | null };
  };
  const ingest = (headers: Record<string, string> = {}) =>
    harness.app.inject({ method: 'POST', url: '/Ingestion/ingest', payload: EVENT, headers: { 'content-type': 'application/json', ...headers } });
  const countEvents = async () => Number((await harness.services.pool.query('SELECT count(*) FROM events')).rows[0].count);

  it('rejects a request without a key with 401', async () => {
    const response = await ingest();
    assert.equal(response.statusCode, 401);
    assert.equal((response.json() as { code: string }).code, 'INGEST_API_KEY_MISSING');
    assert.match(String(response.headers['www-authenticate']), /^Bearer /);
  });

  it('rejects an unknown key with 401', async () => {
    const response = await ingest({ authorization: 'Bearer ik_not-a-real-key' });
    assert.equal(response.statusCode, 401);
    assert.equal((response.json() as { code: string }).code, 'INGEST_API_KEY_INVALID');
  });

  it('creates, uses, lists and revokes a key with the CLI', async () => {
    const created = await keysCli('create', '--name', 'cli test', '--scopes', 'ingest,read');
    assert.match(created.key!, /^ik_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(created.scopes, ['ingest', 'read']);
    const authorization = `Bearer ${created.key}`;
    assert.equal((await ingest({ authorization })).statusCode, 202);

    const listed = (await keysCli('list')) as unknown as { id: string; key?: string; prefix: string }[];
    const entry = listed.find((key) => key.id === created.id);
    assert.ok(entry !== undefined);
    assert.equal(entry.key, undefined);
    assert.ok(created.key!.startsWith(entry.prefix));

    const revoked = await keysCli('revoke', created.id);
    assert.notEqual(revoked.revokedAt, null);
    const after = await ingest({ authorization });
    assert.equal(after.statusCode, 401);
    assert.equal((after.json() as { code: string }).code, 'INGEST_API_KEY_INVALID');
  });

  it('stores only a hash of each key', async () => {
    const created = await keysCli('create', '--name', 'hash test');
    const rows = await harness.services.pool.query('SELECT * FROM api_keys WHERE id = $1', [created.id]);
    const stored = JSON.stringify(rows.rows[0], (_name, value: unknown) =>
      typeof value === 'object' && value !== null && 'type' in value && (value as { type: unknown }).type === 'Buffer' ? '[bytes]' : value,
    );
    assert.ok(!stored.includes(created.key!.slice(10)), 'the key must not be stored');
    assert.ok((rows.rows[0] as { key_hash: Buffer }).key_hash.equals(hashApiKey(created.key!)));
  });

  it('reports a bad command line with exit code 2', async () => {
    await assert.rejects(keysCli('create', '--name', 'x', '--scopes', 'everything'), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr, /--scopes must list ingest, read, admin/);
      return true;
    });
  });

  it('answers 403 when the key lacks the scope of the route', async () => {
    const readOnly = await createTestKey(harness.services.pool, ['read']);
    const before = await countEvents();
    const response = await ingest({ authorization: readOnly.authorization });
    assert.equal(response.statusCode, 403);
    assert.equal((response.json() as { code: string }).code, 'INGEST_SCOPE_MISSING');
    assert.equal(await countEvents(), before);

    const ingestOnly = await createTestKey(harness.services.pool, ['ingest']);
    const accepted = await ingest({ authorization: ingestOnly.authorization });
    const read = await harness.app.inject({ method: 'GET', url: (accepted.headers['location'] as string), headers: { authorization: ingestOnly.authorization } });
    assert.equal(read.statusCode, 403);
    const readAllowed = await harness.app.inject({ method: 'GET', url: (accepted.headers['location'] as string), headers: { authorization: readOnly.authorization } });
    assert.equal(readAllowed.statusCode, 200);
  });

  it('limits the requests of a key per minute with 429 and RateLimit headers', async () => {
    const limited = await createTestKey(harness.services.pool, ['ingest'], 3);
    const before = await countEvents();
    const responses = [];
    for (let attempt = 0; attempt < 5; attempt += 1) responses.push(await ingest({ authorization: limited.authorization }));
    assert.deepEqual(responses.map((response) => response.statusCode), [202, 202, 202, 429, 429]);

    const first = responses[0]!;
    assert.equal(first.headers['ratelimit-policy'], '"per-key";q=3;w=60');
    assert.match(String(first.headers['ratelimit']), /^"per-key";r=2;t=\d+$/);
    const rejected = responses[3]!;
    assert.equal((rejected.json() as { code: string }).code, 'INGEST_RATE_LIMITED');
    assert.match(String(rejected.headers['ratelimit']), /^"per-key";r=0;t=\d+$/);
    const retryAfter = Number(rejected.headers['retry-after']);
    assert.ok(retryAfter >= 1, `Retry-After ${retryAfter}`);
    assert.ok(retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.equal(await countEvents(), before + 3);
  });

  it('registers the bootstrap key once', async () => {
    const key = generateApiKey();
    const config = { ...harness.config, AUTH_BOOTSTRAP_KEY: key, AUTH_BOOTSTRAP_KEY_SCOPES: 'ingest' };
    await registerBootstrapKey(harness.services.pool, config, createLogger('test', 'silent'));
    await registerBootstrapKey(harness.services.pool, config, createLogger('test', 'silent'));
    const stored = await harness.services.pool.query('SELECT scopes FROM api_keys WHERE key_hash = $1', [hashApiKey(key)]);
    assert.deepEqual(stored.rows, [{ scopes: ['ingest'] }]);
    assert.equal((await ingest({ authorization: `Bearer ${key}` })).statusCode, 202);
  });

  it('leaves health checks and the API reference open', async () => {
    for (const url of ['/health/live', '/openapi.json', '/docs']) {
      const response = await harness.app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 200, url);
    }
  });

  it('offers requireScope to other routes', async () => {
    const app = Fastify({ loggerInstance: createLogger('test', 'silent') as FastifyBaseLogger });
    registerErrorHandlers(app);
    registerAuthentication(app, authenticationOptions(harness.config, harness.services.pool));
    app.post('/replay', { onRequest: requireScope('admin') }, async () => ({ replayed: true }));
    try {
      const admin = await createTestKey(harness.services.pool, ['admin']);
      const ingestOnly = await createTestKey(harness.services.pool, ['ingest']);
      assert.equal((await app.inject({ method: 'POST', url: '/replay', headers: { authorization: admin.authorization } })).statusCode, 200);
      assert.equal((await app.inject({ method: 'POST', url: '/replay', headers: { authorization: ingestOnly.authorization } })).statusCode, 403);
      assert.equal((await app.inject({ method: 'POST', url: '/replay' })).statusCode, 401);
    } finally {
      await app.close();
    }
  });
});
