import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { readDelivery } from '@ingestion/core';
import { freePort, startService, waitFor, type ServiceProcess } from '@ingestion/core/testing';
import amqplib, { type Channel, type ChannelModel } from 'amqplib';

import { startApiHarness, type ApiHarness } from './support/api-harness.js';
import { sampleValue } from './support/prometheus-text.js';

const RELAY_ENTRY = fileURLToPath(new URL('../src/relay-main.js', import.meta.url));

/** Events the test ingests: more than RELAY_BATCH_SIZE, so the relay publishes several batches. */
const EVENT_COUNT = 25;
const RELAY_BATCH_SIZE = 10;

const CONFIRMED_SERIES = 'ingestion_relay_events_total{kind="process",result="confirmed"}';

/**
 * The relay run on its own (`npm run start:relay`) as a real process, next to an API with
 * RELAY_ENABLED=false, as in a deployment that scales the relay apart from the API.
 */
describe('standalone relay process', () => {
  let harness: ApiHarness;
  let relay: ServiceProcess;
  let baseUrl: string;
  let connection: ChannelModel;
  let channel: Channel;

  before(async () => {
    harness = await startApiHarness('relay_process', { RELAY_ENABLED: 'false' });
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    relay = startService(RELAY_ENTRY, {
      ...harness.environment.env,
      HOST: '127.0.0.1',
      RELAY_HTTP_PORT: String(port),
      RELAY_BATCH_SIZE: String(RELAY_BATCH_SIZE),
    });
    await waitFor('the relay to report ready', async () => {
      if (relay.child.exitCode !== null) throw new Error(`The relay exited with code ${relay.child.exitCode}: ${relay.output()}`);
      const response = await fetch(`${baseUrl}/health/ready`).catch(() => undefined);
      return response?.status === 200 ? true : undefined;
    });
    connection = await amqplib.connect(harness.environment.rabbitmqUrl);
    channel = await connection.createChannel();
  });

  after(async () => {
    await relay?.stop('SIGKILL');
    await connection?.close();
    await harness?.close();
  });

  async function scrape(): Promise<string> {
    const response = await fetch(`${baseUrl}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return response.text();
  }

  async function outboxSize(): Promise<number> {
    const result = await harness.services.pool.query<{ count: number }>('SELECT count(*)::int AS count FROM outbox');
    return result.rows[0]!.count;
  }

  it('reports ready and live', async () => {
    const ready = await fetch(`${baseUrl}/health/ready`);
    assert.equal(ready.status, 200);
    const body = (await ready.json()) as { status: string; checks: Record<string, boolean> };
    assert.equal(body.status, 'ready');
    assert.deepEqual(body.checks, { database: true, broker: true, shuttingDown: false });
    assert.equal((await fetch(`${baseUrl}/health/live`)).status, 200);
  });

  it('publishes ingested events and counts them', async () => {
    const payload = JSON.stringify(Array.from({ length: EVENT_COUNT }, (_, index) => ({ type: 'relay.process', data: index })));
    const response = await harness.app.inject({ method: 'POST', url: '/Ingestion/ingest/batch', headers: { 'content-type': 'application/json' }, payload });
    assert.equal(response.statusCode, 202);

    await waitFor('the outbox to empty', async () => ((await outboxSize()) === 0 ? true : undefined));
    let queued = 0;
    for (let message = await channel.get(harness.environment.names.processQueue, { noAck: true }); message !== false; message = await channel.get(harness.environment.names.processQueue, { noAck: true })) {
      queued += readDelivery(message).length;
    }
    assert.equal(queued, EVENT_COUNT);

    const confirmed = await waitFor('the relay to count the confirmed messages', async () => {
      const value = sampleValue(await scrape(), CONFIRMED_SERIES);
      return value !== undefined && value >= EVENT_COUNT ? value : undefined;
    });
    assert.equal(confirmed, EVENT_COUNT);
    const text = await scrape();
    assert.equal(sampleValue(text, 'ingestion_relay_events_total{kind="process",result="failed"}'), undefined);
    assert.equal(sampleValue(text, 'ingestion_relay_events_total{kind="process",result="unroutable"}'), undefined);
    assert.equal(sampleValue(text, 'ingestion_relay_message_events_sum'), EVENT_COUNT);
    const messages = sampleValue(text, 'ingestion_relay_message_events_count') ?? 0;
    assert.ok(messages >= 1, `messages for ${EVENT_COUNT} events: ${messages}`);
    assert.ok(messages < EVENT_COUNT, `the relay packed ${EVENT_COUNT} events into ${messages} messages`);
    const batches = sampleValue(text, 'ingestion_relay_confirm_duration_seconds_count') ?? 0;
    assert.ok(batches >= Math.ceil(EVENT_COUNT / RELAY_BATCH_SIZE), `confirmed batches: ${batches}`);
  });

  it('leaves the API relay metrics at zero', async () => {
    const response = await harness.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(sampleValue(response.body, CONFIRMED_SERIES), undefined);
  });

  it('serves outbox gauges and default metrics', async () => {
    // The gauges read the outbox at most once a second, so a scrape may still see an older backlog.
    await waitFor('the backlog gauge to reach 0', async () => (sampleValue(await scrape(), 'ingestion_outbox_backlog_rows') === 0 ? true : undefined));
    const text = await scrape();
    assert.equal(sampleValue(text, 'ingestion_outbox_scheduled_rows'), 0);
    assert.equal(sampleValue(text, 'ingestion_outbox_oldest_age_seconds'), 0);
    assert.match(text, /^process_cpu_seconds_total /m);
    assert.match(text, /^nodejs_eventloop_lag_seconds /m);
  });

  it('closes its HTTP server on SIGTERM', async () => {
    const code = await relay.stop('SIGTERM');
    assert.equal(code, 0, relay.output());
    assert.match(relay.output(), /"msg":"outbox relay stopped"/);
    assert.match(relay.output(), /"msg":"shutdown complete"/);
    await assert.rejects(fetch(`${baseUrl}/health/live`));
  });
});
