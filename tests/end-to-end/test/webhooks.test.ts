import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';

import type { WebhookDefinition } from '@octokit/webhooks-examples';
import { createIsolatedEnvironment, freePort, startService, waitFor, type IsolatedEnvironment, type ServiceProcess } from '@ingestion/core/testing';
import pg from 'pg';

import { API_ENTRY, WORKER_ENTRY } from './support/entry-points.js';

const webhooks = createRequire(import.meta.url)('@octokit/webhooks-examples') as WebhookDefinition[];

describe('pipeline with real GitHub webhook payloads', () => {
  let environment: IsolatedEnvironment;
  let api: ServiceProcess;
  let worker: ServiceProcess;
  let baseUrl: string;
  let pool: pg.Pool;

  before(async () => {
    environment = await createIsolatedEnvironment('e2e');
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const env = { ...environment.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', AUTH_DISABLED: 'true' };
    api = startService(API_ENTRY, env);
    worker = startService(WORKER_ENTRY, { ...env, WORKER_HTTP_PORT: String(await freePort()) });
    pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 2 });
    await waitFor('the API to become ready', async () => ((await fetch(`${baseUrl}/health/ready`)).ok ? true : undefined), 60_000, 200);
  });

  after(async () => {
    await api?.stop();
    await worker?.stop();
    await pool?.end();
    await environment?.cleanup();
  });

  const examples = webhooks.flatMap((webhook) => webhook.examples.map((payload, index) => ({ name: webhook.name, index, payload })));

  it('ingests every example, processes it, and keeps its data exactly', async () => {
    assert.ok(examples.length > 300, `only ${examples.length} examples`);
    const accepted = new Map<string, (typeof examples)[number]>();
    for (let offset = 0; offset < examples.length; offset += 25) {
      const chunk = examples.slice(offset, offset + 25);
      const responses = await Promise.all(
        chunk.map((example) =>
          fetch(`${baseUrl}/Ingestion/ingest`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ type: example.name, source: 'https://github.com/octokit/webhooks', data: example.payload }),
          }),
        ),
      );
      for (const [index, response] of responses.entries()) {
        const body = (await response.json()) as { id: string };
        assert.equal(response.status, 202, `${chunk[index]!.name} #${chunk[index]!.index}: ${JSON.stringify(body)}`);
        accepted.set(body.id, chunk[index]!);
      }
    }
    assert.equal(accepted.size, examples.length);

    await waitFor(
      'every event to be processed',
      async () => {
        const result = await pool.query<{ count: number }>("SELECT count(*)::int AS count FROM events WHERE status = 'processed'");
        return result.rows[0]!.count === examples.length ? true : undefined;
      },
      120_000,
      200,
    );

    for (const [id, example] of accepted) {
      const response = await fetch(`${baseUrl}/Ingestion/events/${id}`);
      const event = (await response.json()) as { status: string; type: string; data: unknown };
      assert.equal(event.status, 'processed');
      assert.equal(event.type, example.name);
      assert.deepEqual(event.data, example.payload, `${example.name} #${example.index} changed`);
    }
    const stored = await pool.query<{ id: string; data: Buffer }>('SELECT id, data FROM events');
    assert.equal(stored.rowCount, examples.length);
    for (const row of stored.rows) {
      assert.equal(row.data.toString('utf8'), JSON.stringify(accepted.get(row.id)!.payload), `bytes of ${row.id} changed`);
    }
  });

  it('shuts both processes down cleanly on SIGTERM', async () => {
    assert.equal(await api.stop('SIGTERM'), 0, api.output());
    assert.equal(await worker.stop('SIGTERM'), 0, worker.output());
  });
});
