import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import pg from 'pg';
import { Registry } from 'prom-client';

import { createLogger, createMetricsRegistry, OperationsServer, type BrokerConnection, type OperationsServerOptions } from '../src/index.js';
import { createIsolatedEnvironment, freePort, type IsolatedEnvironment } from '../src/testing/index.js';

interface Problem {
  code: string;
  detail: string;
  instance: string;
  status: number;
}

// The readiness route reads only isConnected from the broker connection.
const connectedBroker = { isConnected: true } as BrokerConnection;

describe('OperationsServer', () => {
  let environment: IsolatedEnvironment;
  let pool: pg.Pool;
  let unreachablePool: pg.Pool;
  const servers: OperationsServer[] = [];

  function options(overrides: Partial<OperationsServerOptions> = {}): OperationsServerOptions {
    return {
      processName: 'test',
      host: '127.0.0.1',
      port: 0,
      pool,
      broker: connectedBroker,
      registry: createMetricsRegistry(),
      isShuttingDown: () => false,
      logger: createLogger('test-operations-server', 'silent'),
      ...overrides,
    };
  }

  /** Starts a server on a free port and returns its base URL. */
  async function start(overrides: Partial<OperationsServerOptions> = {}): Promise<string> {
    const server = new OperationsServer(options(overrides));
    servers.push(server);
    return `http://127.0.0.1:${await server.listen()}`;
  }

  before(async () => {
    environment = await createIsolatedEnvironment('operations_server');
    pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 1 });
    // Nothing listens on a port that was just free, so every connection attempt is refused.
    unreachablePool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${await freePort()}/none`, max: 1 });
  });

  after(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await pool?.end();
    await unreachablePool?.end();
    await environment?.cleanup();
  });

  it('reports ready without informational checks', async () => {
    const baseUrl = await start();
    const response = await fetch(`${baseUrl}/health/ready`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { status: string; checks: Record<string, boolean> };
    assert.equal(body.status, 'ready');
    assert.deepEqual(body.checks, { database: true, broker: true, shuttingDown: false });
  });

  it('reports informational checks without requiring them', async () => {
    const baseUrl = await start({ informationalChecks: () => ({ consuming: false }) });
    const response = await fetch(`${baseUrl}/health/ready`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { checks: Record<string, boolean> };
    assert.equal(body.checks['consuming'], false);
  });

  it('reports not ready without PostgreSQL', async () => {
    const baseUrl = await start({ pool: unreachablePool });
    const response = await fetch(`${baseUrl}/health/ready`);
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const problem = (await response.json()) as Problem;
    assert.equal(problem.code, 'INGEST_NOT_READY');
    assert.match(problem.detail, /PostgreSQL is unreachable/);
    assert.doesNotMatch(problem.detail, /RabbitMQ/);
  });

  it('returns 404 and the routes for an unknown path', async () => {
    const baseUrl = await start();
    const response = await fetch(`${baseUrl}/status?verbose=1`);
    assert.equal(response.status, 404);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const problem = (await response.json()) as Problem;
    assert.equal(problem.code, 'INGEST_ROUTE_NOT_FOUND');
    assert.equal(problem.instance, '/status');
    assert.match(problem.detail, /\/health\/live, \/health\/ready, \/metrics/);
  });

  it('rejects POST with 405 and Allow', async () => {
    const baseUrl = await start();
    const response = await fetch(`${baseUrl}/metrics`, { method: 'POST' });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'GET, HEAD');
    assert.equal(((await response.json()) as Problem).code, 'INGEST_METHOD_NOT_ALLOWED');
  });

  it('serves HEAD like GET without a body', async () => {
    const baseUrl = await start();
    const response = await fetch(`${baseUrl}/metrics`, { method: 'HEAD' });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.equal(await response.text(), '');
  });

  it('returns 500 when metrics collection fails', async () => {
    const failing = new Registry();
    failing.metrics = () => Promise.reject(new Error('collect failed'));
    const baseUrl = await start({ registry: failing });
    const response = await fetch(`${baseUrl}/metrics`);
    assert.equal(response.status, 500);
    const problem = (await response.json()) as Problem;
    assert.equal(problem.code, 'INGEST_INTERNAL_ERROR');
    assert.match(problem.detail, /the test logged the error/);
  });

  it('rejects a port in use', async () => {
    const baseUrl = await start();
    const port = Number(new URL(baseUrl).port);
    const second = new OperationsServer(options({ port }));
    await assert.rejects(second.listen(), { code: 'EADDRINUSE' });
  });
});
