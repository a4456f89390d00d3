import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { createLogger, createPool, toMessage, withDeadline, withTransaction, type EventEnvelope } from '@ingestion/core';
import { startService, waitFor, type ServiceProcess } from '@ingestion/core/testing';
import amqplib, { type ChannelModel, type ConfirmChannel, type GetMessage } from 'amqplib';

import { claimOutboxRows } from '../src/relay/outbox-store.js';
import { startApiHarness, type ApiHarness } from './support/api-harness.js';

const TEST_HANDLERS = fileURLToPath(new URL('./support/test-handlers.js', import.meta.url));
const WORKER_ENTRY = fileURLToPath(new URL('../../../processor-worker/dist/src/main.js', import.meta.url));

interface EventStatusBody {
  status: string;
  attempts: number;
  error: string | null;
  errors: { attempt: number; message: string; permanent: boolean }[];
}

/**
 * The delivery guarantees end to end: the API with its relay in this process, a real worker process,
 * and the test handlers. Retries, dead letters, duplicates and replays are observed through the
 * status endpoint, the database and the dead-letter queue.
 */
describe('delivery guarantees', () => {
  let harness: ApiHarness;
  let worker: ServiceProcess;
  let connection: ChannelModel;
  let channel: ConfirmChannel;

  before(async () => {
    harness = await startApiHarness('delivery', { RELAY_POLL_INTERVAL_MS: '100' });
    await harness.services.pool.query('CREATE TABLE test_effects (event_id uuid NOT NULL); CREATE TABLE test_fixed (type text PRIMARY KEY)');
    worker = startService(WORKER_ENTRY, {
      ...harness.environment.env,
      LOG_LEVEL: 'info',
      WORKER_HANDLER_MODULES: TEST_HANDLERS,
      WORKER_MAX_ATTEMPTS: '3',
      WORKER_RETRY_BASE_DELAY_MS: '300',
      WORKER_RETRY_MAX_DELAY_MS: '600',
    });
    await waitFor('the worker to consume', async () => {
      if (worker.child.exitCode !== null) throw new Error(`The worker exited with code ${worker.child.exitCode}: ${worker.output()}`);
      return worker.output().includes('"msg":"consuming"') || undefined;
    });
    connection = await amqplib.connect(harness.environment.rabbitmqUrl);
    channel = await connection.createConfirmChannel();
  });
  after(async () => {
    await connection?.close();
    await worker?.stop();
    await harness?.close();
  });

  async function ingest(type: string, data: unknown = { n: 1 }): Promise<string> {
    const response = await harness.app.inject({
      method: 'POST',
      url: '/Ingestion/ingest',
      payload: JSON.stringify({ type, data }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(response.statusCode, 202);
    return (response.json() as { id: string }).id;
  }

  async function eventStatus(id: string): Promise<EventStatusBody> {
    return (await harness.app.inject({ method: 'GET', url: `/Ingestion/events/${id}` })).json() as EventStatusBody;
  }

  function untilStatus(id: string, status: string): Promise<EventStatusBody> {
    return waitFor(`event ${id} to be ${status}`, async () => {
      const body = await eventStatus(id);
      return body.status === status ? body : undefined;
    });
  }

  async function effects(id: string): Promise<number> {
    const result = await harness.services.pool.query<{ count: number }>('SELECT count(*)::int AS count FROM test_effects WHERE event_id = $1', [id]);
    return result.rows[0]!.count;
  }

  /** Waits for the dead-lettered copy of a message and returns it; other dead letters are left alone. */
  function deadLetter(messageId: string | undefined, reason: RegExp): Promise<GetMessage> {
    const queue = harness.environment.names.deadLetterQueue;
    return waitFor(`a dead letter with reason ${reason}`, async () => {
      const message = await channel.get(queue, { noAck: false });
      if (message === false) return undefined;
      const matches = message.properties.messageId === messageId && reason.test(String(message.properties.headers?.['x-dead-letter-reason']));
      if (matches) channel.ack(message);
      else channel.nack(message, false, true);
      return matches ? message : undefined;
    });
  }

  it('retries a transient failure with its attempts visible', async () => {
    const id = await ingest('test.transient');
    const retrying = await untilStatus(id, 'retrying');
    assert.ok(retrying.attempts >= 1);
    assert.match(String(retrying.error), /transient failure on attempt/);

    const processed = await untilStatus(id, 'processed');
    assert.equal(processed.attempts, 3);
    assert.deepEqual(processed.errors.map((entry) => [entry.attempt, entry.permanent]), [[1, false], [2, false]]);
    assert.equal(processed.error, null);
    assert.equal(await effects(id), 1);
  });

  it('fails an event after its last attempt and dead-letters it with the reason', async () => {
    const id = await ingest('test.always-fails');
    const failed = await untilStatus(id, 'failed');
    assert.equal(failed.attempts, 3);
    assert.deepEqual(failed.errors.map((entry) => entry.attempt), [1, 2, 3]);
    await deadLetter(id, /failure on attempt 3/);
  });

  it('fails a permanent error at once without retries', async () => {
    const id = await ingest('order.created', { orderId: 'P-1', amountCents: -5, currency: 'EUR' });
    const failed = await untilStatus(id, 'failed');
    assert.equal(failed.attempts, 1);
    assert.equal(failed.errors[0]?.permanent, true);
    await deadLetter(id, /amountCents/);
  });

  it('dead-letters a message that cannot be parsed and keeps consuming', async () => {
    channel.publish(harness.environment.names.eventsExchange, 'junk', Buffer.from('not an event'), { messageId: 'not-a-uuid', persistent: true });
    await channel.waitForConfirms();
    await deadLetter('not-a-uuid', /no event id/);

    const id = await ingest('test.effect');
    await untilStatus(id, 'processed');
    assert.equal(worker.child.exitCode, null);
  });

  it('dead-letters a message whose event does not exist', async () => {
    const envelope: EventEnvelope = {
      eventId: '00000000-0000-7000-8000-00000000dead',
      deliverySeq: 1,
      cloudEventId: 'ghost',
      source: '/tests',
      type: 'test.effect',
      specVersion: '1.0',
      subject: null,
      time: null,
      dataContentType: null,
      dataSchema: null,
      data: null,
      extensions: {},
      receivedAt: new Date(),
    };
    const message = toMessage(envelope, 'test');
    channel.publish(harness.environment.names.eventsExchange, message.routingKey, message.content, message.options);
    await channel.waitForConfirms();
    await deadLetter(envelope.eventId, /No event with id/);
  });

  it('applies the effect once when the relay publishes a delivery twice', async () => {
    const id = await ingest('test.effect');
    // A second outbox row for the same delivery stands for a relay that published and died before it deleted the row.
    await harness.services.pool.query("INSERT INTO outbox (event_id, delivery_seq, kind) VALUES ($1, 1, 'process'), ($1, 1, 'process')", [id]);
    await untilStatus(id, 'processed');
    await waitFor('the duplicate deliveries to be published', async () => {
      const left = await harness.services.pool.query('SELECT 1 FROM outbox WHERE event_id = $1', [id]);
      return left.rowCount === 0 || undefined;
    });
    const queue = harness.environment.names.processQueue;
    await waitFor('the duplicates to be consumed', async () => ((await channel.checkQueue(queue)).messageCount === 0 ? true : undefined));
    assert.equal(await effects(id), 1);
  });

  it('processes a replayed event once more from the start', async () => {
    const id = await ingest('test.fixable');
    const failed = await untilStatus(id, 'failed');
    assert.equal(failed.attempts, 1);
    await deadLetter(id, /not fixed yet/);

    await harness.services.pool.query("INSERT INTO test_fixed (type) VALUES ('test.fixable')");
    const replay = await harness.app.inject({ method: 'POST', url: `/Ingestion/events/${id}/replay` });
    assert.equal(replay.statusCode, 202);

    const processed = await untilStatus(id, 'processed');
    assert.equal(processed.attempts, 1, 'attempts start again from zero on a replay');
    assert.equal(processed.errors.length, 1, 'the error history of the first run is kept');
    assert.equal(await effects(id), 1);
  });

  it('frees rows a hung relay claimed once its session times out', async () => {
    const logger = createLogger('hung-relay', 'silent');
    const hungPool = createPool({ connectionString: harness.environment.databaseUrl, max: 1, statementTimeoutMs: 500, applicationName: 'hung-relay' }, logger);
    await harness.relay!.stop();
    try {
      const id = await ingest('test.effect');
      const hung = withTransaction(hungPool, async (client) => {
        const claimed = await claimOutboxRows(client, 100);
        assert.ok(claimed.some((row) => row.eventId === id));
        // Hang without a query, so the session stays idle in its transaction until the server ends it.
        const ended = new Promise((resolve) => client.once('error', resolve));
        await withDeadline(ended, 10_000, () => new Error('idle_in_transaction_session_timeout did not end the session'));
        await client.query('SELECT 1');
      });
      await assert.rejects(hung, /terminat|Connection|not queryable/i);

      const rows = await harness.services.pool.query('SELECT 1 FROM outbox WHERE event_id = $1 FOR UPDATE SKIP LOCKED', [id]);
      assert.equal(rows.rowCount, 1, 'the row is free to claim again');
    } finally {
      await hungPool.end();
    }
  });
});
