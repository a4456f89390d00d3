import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { BrokerConnection, createLogger, createPool, PACK_COUNT_HEADER, toMessage, toPackMessage, type EventHandler } from '@ingestion/core';
import { createIsolatedEnvironment, waitFor, type IsolatedEnvironment } from '@ingestion/core/testing';
import amqplib, { type Channel, type ChannelModel } from 'amqplib';
import type pg from 'pg';

import { EventConsumer } from '../src/consumer.js';
import { orderCreatedHandler } from '../src/handlers/order-created.js';
import { HandlerRegistry } from '../src/handlers/registry.js';
import { BatchProcessor } from '../src/processing/batch-processor.js';
import { storeEvent } from './support/messages.js';

const logger = createLogger('test-consumer', 'silent');

/** Writes a row that breaks a deferred constraint, so the whole transaction fails at COMMIT. */
const commitBreakingHandler: EventHandler = {
  type: 'test.breaks-commit',
  async handle(event, { db }) {
    await db.query('INSERT INTO deferred_check (event_id, parent) VALUES ($1, 999)', [event.id]);
  },
};

describe('EventConsumer', () => {
  let environment: IsolatedEnvironment;
  let pool: pg.Pool;
  let broker: BrokerConnection;
  let consumer: EventConsumer;
  let connection: ChannelModel;
  let channel: Channel;

  before(async () => {
    environment = await createIsolatedEnvironment('consumer');
    pool = createPool({ connectionString: environment.databaseUrl, max: 8, statementTimeoutMs: 10_000, applicationName: 'test' }, logger);
    await pool.query(`CREATE TABLE deferred_parent (id int PRIMARY KEY);
      CREATE TABLE deferred_check (event_id uuid, parent int REFERENCES deferred_parent (id) DEFERRABLE INITIALLY DEFERRED)`);
    broker = await BrokerConnection.open(
      { url: environment.rabbitmqUrl, names: environment.names, queueType: 'quorum', connectionName: 'test-consumer' },
      logger,
    );
    await broker.waitForConnect();
    const registry = new HandlerRegistry([orderCreatedHandler, commitBreakingHandler]);
    const processor = new BatchProcessor(pool, registry, { maxAttempts: 3, retryBackoff: { baseMs: 1_000, maxMs: 1_000 }, handlerTimeoutMs: 5_000 }, logger);
    consumer = new EventConsumer(broker, processor, { prefetch: 50, batchSize: 10, concurrency: 2 }, logger);
    consumer.start();
    connection = await amqplib.connect(environment.rabbitmqUrl);
    channel = await connection.createConfirmChannel();
  });

  after(async () => {
    await consumer?.stop();
    await connection?.close();
    await broker?.close();
    await pool?.end();
    await environment?.cleanup();
  });

  async function publish(content: Buffer, options: amqplib.Options.Publish, routingKey = 't') {
    channel.publish(environment.names.eventsExchange, routingKey, content, options);
    await (channel as amqplib.ConfirmChannel).waitForConfirms();
  }

  async function statusOf(id: string) {
    return (await pool.query<{ status: string }>('SELECT status FROM events WHERE id = $1', [id])).rows[0]?.status;
  }

  it('processes published events and acknowledges them', async () => {
    const envelopes = await Promise.all(
      Array.from({ length: 30 }, (_, index) =>
        storeEvent(pool, { id: randomUUID(), type: 'order.created', data: { orderId: `C-${index}`, amountCents: index, currency: 'EUR' } }),
      ),
    );
    for (const envelope of envelopes) {
      const message = toMessage(envelope, 'test');
      await publish(message.content, message.options, message.routingKey);
    }
    await waitFor('all events to be processed', async () => {
      const result = await pool.query<{ count: number }>(
        "SELECT count(*)::int AS count FROM events WHERE status = 'processed' AND id = ANY($1::uuid[])",
        [envelopes.map((envelope) => envelope.eventId)],
      );
      return result.rows[0]!.count === envelopes.length ? true : undefined;
    });
    const queue = await channel.checkQueue(environment.names.processQueue);
    await waitFor('the queue to be empty', async () => ((await channel.checkQueue(environment.names.processQueue)).messageCount === 0 ? true : undefined));
    assert.equal(queue.consumerCount, 1);
  });

  it('dead-letters an unreadable message with a reason', async () => {
    await publish(Buffer.from('not an event'), { messageId: 'garbage', persistent: true });
    const dead = await waitFor('the dead-lettered copy', async () => {
      const message = await channel.get(environment.names.deadLetterQueue, { noAck: true });
      return message === false ? undefined : message;
    });
    assert.equal(dead.content.toString(), 'not an event');
    assert.match(String(dead.properties.headers?.['x-dead-letter-reason']), /message_id/);
  });

  it('fails an event whose transaction cannot commit', async () => {
    const envelope = await storeEvent(pool, { id: randomUUID(), type: 'test.breaks-commit', data: {} });
    const message = toMessage(envelope, 'test');
    await publish(message.content, message.options, message.routingKey);
    await waitFor('the event to be failed', async () => ((await statusOf(envelope.eventId)) === 'failed' ? true : undefined), 30_000);
    const deadLetter = await pool.query("SELECT 1 FROM outbox WHERE event_id = $1 AND kind = 'dead-letter'", [envelope.eventId]);
    assert.equal(deadLetter.rowCount, 1);
  });

  it('dead-letters only the orphan of a pack', async () => {
    const stored = await Promise.all(Array.from({ length: 5 }, () => storeEvent(pool, { id: randomUUID(), type: 'pack.test', data: { n: 1 } })));
    const orphan = { ...stored[0]!, eventId: randomUUID() };
    const pack = toPackMessage([...stored, orphan].map((envelope) => ({ envelope, traceHeaders: {} })), 'test');
    await publish(pack.content, pack.options, pack.routingKey);
    await waitFor("the pack's events to be processed", async () => {
      const statuses = await Promise.all(stored.map((envelope) => statusOf(envelope.eventId)));
      return statuses.every((status) => status === 'processed') ? true : undefined;
    });
    const dead = await waitFor("the orphan's dead-lettered copy", async () => {
      const message = await channel.get(environment.names.deadLetterQueue, { noAck: true });
      return message === false ? undefined : message;
    });
    assert.equal(dead.properties.messageId, orphan.eventId);
    assert.equal(dead.properties.headers?.[PACK_COUNT_HEADER], undefined);
    assert.match(String(dead.properties.headers?.['x-dead-letter-reason']), /No event with id/);
    assert.deepEqual(dead.content, orphan.data);
    await waitFor('the queue to be empty', async () => ((await channel.checkQueue(environment.names.processQueue)).messageCount === 0 ? true : undefined));
  });

  it('commits a pack larger than a batch', async () => {
    // The consumer's batch size is 10, so the pack's 25 events commit in three transactions before its ack.
    const stored = await Promise.all(Array.from({ length: 25 }, () => storeEvent(pool, { id: randomUUID(), type: 'pack.large', data: { n: 1 } })));
    const pack = toPackMessage(stored.map((envelope) => ({ envelope, traceHeaders: {} })), 'test');
    await publish(pack.content, pack.options, pack.routingKey);
    await waitFor('every event of the pack to be processed', async () => {
      const statuses = await Promise.all(stored.map((envelope) => statusOf(envelope.eventId)));
      return statuses.every((status) => status === 'processed') ? true : undefined;
    });
    await waitFor('the queue to be empty', async () => ((await channel.checkQueue(environment.names.processQueue)).messageCount === 0 ? true : undefined));
    const attempts = await pool.query<{ max: number }>('SELECT max(attempts) AS max FROM events WHERE id = ANY($1::uuid[])', [stored.map((envelope) => envelope.eventId)]);
    assert.equal(attempts.rows[0]!.max, 1);
  });

  it('dead-letters a pack whose body does not match its layout', async () => {
    await publish(Buffer.from([0, 0, 0, 9, 1]), { messageId: randomUUID(), persistent: true, headers: { [PACK_COUNT_HEADER]: 1 } });
    const dead = await waitFor('the dead-lettered copy', async () => {
      const message = await channel.get(environment.names.deadLetterQueue, { noAck: true });
      return message === false ? undefined : message;
    });
    assert.deepEqual([...dead.content], [0, 0, 0, 9, 1]);
    assert.match(String(dead.properties.headers?.['x-dead-letter-reason']), /length prefix/);
  });
});
