import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';

import { createIsolatedEnvironment, freePort, startService, waitFor, type IsolatedEnvironment, type ServiceProcess } from '@ingestion/core/testing';

import { API_ENTRY, WORKER_ENTRY } from './support/entry-points.js';
import { TcpProxy } from './support/tcp-proxy.js';

describe('process start-up', () => {
  let environment: IsolatedEnvironment;
  const started: ServiceProcess[] = [];
  const proxies: TcpProxy[] = [];

  before(async () => {
    environment = await createIsolatedEnvironment('startup');
  });

  after(async () => {
    await Promise.all(started.map((service) => service.stop('SIGKILL')));
    await Promise.all(proxies.map((proxy) => proxy.stop()));
    await environment?.cleanup();
  });

  it('rejects invalid configuration naming the variable', async () => {
    const api = startService(API_ENTRY, { ...environment.env, PORT: 'eighty', RABBITMQ_PREFIX: 'has space' });
    started.push(api);
    const [code] = (await once(api.child, 'exit')) as [number];
    assert.equal(code, 1);
    assert.match(api.output(), /PORT/);
    assert.match(api.output(), /RABBITMQ_PREFIX/);
  });

  it('waits for PostgreSQL and RabbitMQ that start late', async () => {
    const postgres = new TcpProxy(await freePort(), 5432);
    const rabbitmq = new TcpProxy(await freePort(), 5672);
    proxies.push(postgres, rabbitmq);
    const databaseUrl = new URL(environment.databaseUrl);
    databaseUrl.port = String(postgres.port);
    const rabbitmqUrl = new URL(environment.rabbitmqUrl);
    rabbitmqUrl.port = String(rabbitmq.port);
    const port = await freePort();
    const env = {
      ...environment.env,
      DATABASE_URL: databaseUrl.toString(),
      RABBITMQ_URL: rabbitmqUrl.toString(),
      PORT: String(port),
      HOST: '127.0.0.1',
      AUTH_DISABLED: 'true',
    };
    const api = startService(API_ENTRY, env);
    const worker = startService(WORKER_ENTRY, { ...env, WORKER_HTTP_PORT: String(await freePort()) });
    started.push(api, worker);

    await waitFor('both processes to log a failed attempt', async () =>
      /retrying/.test(api.output()) && /retrying/.test(worker.output()) ? true : undefined,
    );
    assert.equal(api.child.exitCode, null, api.output());
    assert.equal(worker.child.exitCode, null, worker.output());

    await postgres.start();
    await waitFor('the API to listen', async () => {
      const response = await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => undefined);
      return response?.ok ? true : undefined;
    });
    const notReady = await fetch(`http://127.0.0.1:${port}/health/ready`);
    assert.equal(notReady.status, 503, 'ready without RabbitMQ');
    assert.match(((await notReady.json()) as { detail: string }).detail, /RabbitMQ is not connected/);

    const accepted = await fetch(`http://127.0.0.1:${port}/Ingestion/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'startup.late' }),
    });
    assert.equal(accepted.status, 202, 'the API must accept events while RabbitMQ is down');
    const { id } = (await accepted.json()) as { id: string };

    await rabbitmq.start();
    await waitFor(
      'the event to be processed once RabbitMQ is reachable',
      async () => {
        const response = await fetch(`http://127.0.0.1:${port}/Ingestion/events/${id}`);
        return ((await response.json()) as { status: string }).status === 'processed' ? true : undefined;
      },
      60_000,
      200,
    );
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
    assert.equal(ready.status, 200);
  });
});
