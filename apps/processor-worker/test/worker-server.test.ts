import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { createLogger, createMetricsRegistry, type BrokerConnection } from '@ingestion/core';
import { createIsolatedEnvironment, type IsolatedEnvironment } from '@ingestion/core/testing';
import pg from 'pg';

import { WorkerServer } from '../src/http/worker-server.js';

describe('worker HTTP server', () => {
  let environment: IsolatedEnvironment;
  let pool: pg.Pool;
  let server: WorkerServer;
  let baseUrl: string;
  // A stand-in for the broker connection: the server reads only isConnected.
  const broker = { isConnected: true } as BrokerConnection;
  let shuttingDown = false;

  before(async () => {
    environment = await createIsolatedEnvironment('worker_server');
    pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 1 });
    server = new WorkerServer({
      host: '127.0.0.1',
      port: 0,
      pool,
      broker,
      registry: createMetricsRegistry(),
      isConsuming: () => true,
      isShuttingDown: () => shuttingDown,
      logger: createLogger('test-worker-server', 'silent'),
    });
    baseUrl = `http://127.0.0.1:${await server.listen()}`;
  });

  after(async () => {
    await server?.close();
    await pool?.end();
    await environment?.cleanup();
  });

  it('reports ready with PostgreSQL and RabbitMQ up', async () => {
    const response = await fetch(`${baseUrl}/health/ready`);
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { status: string }).status, 'ready');
  });

  it('reports not ready without RabbitMQ', async () => {
    (broker as { isConnected: boolean }).isConnected = false;
    try {
      const response = await fetch(`${baseUrl}/health/ready`);
      assert.equal(response.status, 503);
      assert.equal(response.headers.get('retry-after'), '5');
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
      const problem = (await response.json()) as { code: string; detail: string };
      assert.equal(problem.code, 'INGEST_NOT_READY');
      assert.match(problem.detail, /RabbitMQ is not connected/);
    } finally {
      (broker as { isConnected: boolean }).isConnected = true;
    }
  });

  it('reports not ready while shutting down', async () => {
    shuttingDown = true;
    try {
      const response = await fetch(`${baseUrl}/health/ready`);
      assert.equal(response.status, 503);
      assert.match(((await response.json()) as { detail: string }).detail, /shutting down/);
    } finally {
      shuttingDown = false;
    }
  });

  it('stays live and serves metrics', async () => {
    assert.equal((await fetch(`${baseUrl}/health/live`)).status, 200);
    const metrics = await fetch(`${baseUrl}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /^process_cpu_seconds_total /m);
  });

  it('ignores a trailing slash and a query string', async () => {
    assert.equal((await fetch(`${baseUrl}/health/live/?probe=1`)).status, 200);
  });
});
