import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { createLogger, readDelivery } from '@ingestion/core';
import { waitFor } from '@ingestion/core/testing';
import amqplib, { type ChannelModel, type Channel } from 'amqplib';

import { createRelay } from '../src/relay/create-relay.js';
import type { OutboxRelay } from '../src/relay/outbox-relay.js';
import { startApiHarness, type ApiHarness } from './support/api-harness.js';

describe('outbox relay', () => {
  let harness: ApiHarness;
  let connection: ChannelModel;
  let channel: Channel;
  const received: string[] = [];
  const traceparents = new Map<string, unknown>();
  const extraRelays: OutboxRelay[] = [];

  before(async () => {
    harness = await startApiHarness('relay', { RELAY_BATCH_SIZE: '50', RELAY_POLL_INTERVAL_MS: '60000' });
    connection = await amqplib.connect(harness.environment.rabbitmqUrl);
    channel = await connection.createChannel();
    await channel.consume(
      harness.environment.names.processQueue,
      (message) => {
        if (message === null) return;
        for (const { envelope, traceHeaders } of readDelivery(message)) {
          received.push(`${envelope.eventId}/${envelope.deliverySeq}`);
          traceparents.set(envelope.eventId, traceHeaders['traceparent']);
        }
        channel.ack(message);
      },
      { noAck: false },
    );
  });

  after(async () => {
    await Promise.all(extraRelays.map((relay) => relay.stop()));
    await connection?.close();
    await harness?.close();
  });

  async function outboxSize() {
    const result = await harness.services.pool.query<{ count: number }>('SELECT count(*)::int AS count FROM outbox');
    return result.rows[0]!.count;
  }

  it('publishes a new event promptly and then deletes its outbox row', async () => {
    // The poll interval is a minute, so only the wake-up after the commit can publish this in time.
    const response = await harness.app.inject({
      method: 'POST',
      url: '/Ingestion/ingest',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ type: 'relay.single', data: { ok: true } }),
    });
    const { id } = response.json() as { id: string };
    await waitFor('the message to arrive', async () => (received.includes(`${id}/1`) ? true : undefined), 10_000);
    await waitFor('the outbox row to be deleted', async () => ((await outboxSize()) === 0 ? true : undefined), 10_000);
  });

  it("forwards the client's trace id untraced", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await harness.app.inject({
      method: 'POST',
      url: '/Ingestion/ingest',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      payload: JSON.stringify({ type: 'relay.traced', data: { ok: true } }),
    });
    const { id } = response.json() as { id: string };
    await waitFor('the message to arrive', async () => (received.includes(`${id}/1`) ? true : undefined), 10_000);
    assert.match(String(traceparents.get(id)), new RegExp(`^00-${traceId}-[0-9a-f]{16}-0[01]$`));
  });

  it('publishes rows committed by another process after a notification', async () => {
    const before = received.length;
    await harness.services.pool.query(
      `WITH e AS (
         INSERT INTO events (id, cloud_event_id, source, type, fingerprint)
         VALUES ('01890000-0000-7000-8000-000000000001', 'x', '/other', 'relay.notified', '\\x00') RETURNING id
       ) INSERT INTO outbox (event_id) SELECT id FROM e`,
    );
    await harness.services.pool.query("NOTIFY ingestion_outbox, ''");
    await waitFor('the notified row to be published', async () => (received.length > before ? true : undefined), 10_000);
  });

  it('publishes each row once with several relays running', async () => {
    const logger = createLogger('test-relay', 'silent');
    for (let index = 0; index < 3; index += 1) {
      const relay = createRelay(harness.config, harness.services, logger);
      relay.start();
      extraRelays.push(relay);
    }
    const before = received.length;
    const payload = JSON.stringify(Array.from({ length: 500 }, (_, index) => ({ type: 'relay.many', data: index })));
    const batches = await Promise.all(
      [0, 1, 2, 3].map(() =>
        harness.app.inject({ method: 'POST', url: '/Ingestion/ingest/batch', headers: { 'content-type': 'application/json' }, payload }),
      ),
    );
    assert.ok(batches.every((response) => response.statusCode === 202));
    await waitFor('all 2000 messages', async () => (received.length - before >= 2000 ? true : undefined), 30_000);
    await waitFor('the outbox to empty', async () => ((await outboxSize()) === 0 ? true : undefined), 10_000);
    const published = received.slice(before);
    assert.equal(published.length, 2000);
    assert.equal(new Set(published).size, 2000, 'a row was published twice');
  });
});
