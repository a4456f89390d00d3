import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { createLogger, createPool, jsonData, PermanentError, type EventHandler } from '@ingestion/core';
import { createIsolatedEnvironment, type IsolatedEnvironment } from '@ingestion/core/testing';
import type pg from 'pg';

import { orderCreatedHandler } from '../src/handlers/order-created.js';
import { HandlerRegistry } from '../src/handlers/registry.js';
import { BatchProcessor } from '../src/processing/batch-processor.js';
import { inboundEvent, storeEvent } from './support/messages.js';

const logger = createLogger('test-worker', 'silent');

/** Fails with a transient error until its event has been attempted `failures` times. */
const flakyHandler: EventHandler = {
  type: 'test.flaky',
  async handle(event, { db }) {
    await db.query('INSERT INTO example_orders (event_id, order_id, amount_cents, currency) VALUES ($1, $2, 0, $3)', [event.id, 'flaky', 'EUR']);
    throw new Error(`flaky failure on attempt ${event.attempt}`);
  },
};

const permanentHandler: EventHandler = {
  type: 'test.permanent',
  async handle() {
    throw new PermanentError('cannot ever work');
  },
};

/** Catches the error of its failing query and returns as if it had succeeded. */
const swallowingHandler: EventHandler = {
  type: 'test.swallowing',
  async handle(_event, { db }) {
    await db.query('SELECT 1 / 0').catch(() => undefined);
  },
};

/** Writes its effect with a query it does not await. The query fails when the event's data has `fail: true`. */
const unawaitedHandler: EventHandler = {
  type: 'test.unawaited',
  async handle(event, { db }) {
    const amount = jsonData<{ fail?: boolean }>(event).fail === true ? '1 / 0' : '0';
    void db.query(`INSERT INTO example_orders (event_id, order_id, amount_cents, currency) VALUES ($1, 'unawaited', ${amount}, 'EUR')`, [event.id]).catch(() => undefined);
  },
};

describe('BatchProcessor', () => {
  let environment: IsolatedEnvironment;
  let pool: pg.Pool;
  let processor: BatchProcessor;

  before(async () => {
    environment = await createIsolatedEnvironment('processor');
    pool = createPool({ connectionString: environment.databaseUrl, max: 8, statementTimeoutMs: 10_000, applicationName: 'test' }, logger);
    const registry = new HandlerRegistry([orderCreatedHandler, flakyHandler, permanentHandler, swallowingHandler, unawaitedHandler]);
    processor = new BatchProcessor(pool, registry, { maxAttempts: 3, retryBackoff: { baseMs: 1_000, maxMs: 10_000 }, handlerTimeoutMs: 5_000 }, logger);
  });
  after(async () => {
    await pool?.end();
    await environment?.cleanup();
  });

  const order = (orderId: string) => ({ orderId, amountCents: 100, currency: 'EUR' });

  async function eventRow(id: string) {
    const result = await pool.query('SELECT status, attempts, delivery_seq, last_error, errors FROM events WHERE id = $1', [id]);
    return result.rows[0];
  }

  async function effectCount(id: string) {
    const result = await pool.query<{ count: number }>('SELECT count(*)::int AS count FROM example_orders WHERE event_id = $1', [id]);
    return result.rows[0]!.count;
  }

  it('runs the handler and marks the event processed', async () => {
    const envelope = await storeEvent(pool, { id: randomUUID(), type: 'order.created', data: order('P-1') });
    const verdicts = await processor.process([inboundEvent(envelope)]);
    assert.deepEqual(verdicts, [{ action: 'ack' }]);
    const row = await eventRow(envelope.eventId);
    assert.equal(row.status, 'processed');
    assert.equal(row.attempts, 1);
    assert.equal(await effectCount(envelope.eventId), 1);
  });

  it('applies effects once when a message is redelivered', async () => {
    const envelope = await storeEvent(pool, { id: randomUUID(), type: 'order.created', data: order('P-2') });
    const message = inboundEvent(envelope);
    await processor.process([message]);
    const verdicts = await processor.process([message]);
    assert.deepEqual(verdicts, [{ action: 'ack' }]);
    assert.equal(await effectCount(envelope.eventId), 1);
  });

  it('applies effects once for copies within one batch', async () => {
    const envelope = await storeEvent(pool, { id: randomUUID(), type: 'order.created', data: order('P-3') });
    const message = inboundEvent(envelope);
    await processor.process([message, message, message]);
    assert.equal(await effectCount(envelope.eventId), 1);
  });

  it('applies effects once when workers race on copies', async () => {
    const envelopes = await Promise.all(
      Array.from({ length: 20 }, (_, index) => storeEvent(pool, { id: randomUUID(), type: 'order.created', data: order(`R-${index}`) })),
    );
    const messages = envelopes.map(inboundEvent);
    const reversed = [...messages].reverse();
    await Promise.all([processor.process(messages), processor.process(reversed), processor.process(messages)]);
    for (const envelope of envelopes) {
      assert.equal(await effectCount(envelope.eventId), 1, `event ${envelope.eventId}`);
      assert.equal((await eventRow(envelope.eventId)).status, 'processed');
    }
  });

  it('gives unknown types to the default handler', async () => {
    const envelope = await storeEvent(pool, { id: randomUUID(), type: 'no.handler.here', data: { any: 'thing' } });
    await processor.process([inboundEvent(envelope)]);
    assert.equal((await eventRow(envelope.eventId)).status, 'processed');
  });

  it('rolls back a failed handler and schedules a retry', async () => {
    const envelope = await storeEvent(pool, { id: randomUUID(), type: 'test.flaky', data: {} });
    const verdicts = await processor.process([inboundEvent(envelope)]);
    assert.deepEqual(verdicts, [{ action: 'ack' }]);
    const row = await eventRow(envelope.eventId);
    assert.equal(row.status, 'retrying');
    assert.equal(row.attempts, 1);
    assert.equal(row.delivery_seq, 2);
    assert.match(row.last_error, /flaky failure on attempt 1/);
    assert.equal(await effectCount(envelope.eventId), 0, 'the failed attempt left an effect');

    const retry = await pool.query<{ delivery_seq: number; kind: string; delay_ms: number }>(
      `SELECT delivery_seq, kind, extract(epoch FROM available_at - created_at) * 1000 AS delay_ms FROM outbox WHERE event_id = $1`,
      [envelope.eventId],
    );
    assert.equal(retry.rowCount, 1);
    assert.equal(retry.rows[0]!.delivery_seq, 2);
    assert.equal(retry.rows[0]!.kind, 'process');
    // First retry: full jitter between half and all of the 1,000 ms base delay.
    assert.ok(retry.rows[0]!.delay_ms >= 500, `delay ${retry.rows[0]!.delay_ms} ms is below 500 ms`);
    assert.ok(retry.rows[0]!.delay_ms <= 1_000, `delay ${retry.rows[0]!.delay_ms} ms is above 1,000 ms`);
  });

  it('keeps the other events of a batch when one handler fails', async () => {
    const good = await storeEvent(pool, { id: randomUUID(), type: 'order.created', data: order('P-4') });
    const bad = await storeEvent(pool, { id: randomUUID(), type: 'test.flaky', data: {} });
    await processor.process([inboundEvent(bad), inboundEvent(good)]);
    assert.equal((await eventRow(good.eventId)).status, 'processed');
    assert.equal(await effectCount(good.eventId), 1);
    assert.equal((await eventRow(bad.eventId)).status, 'retrying');
  });

  it('keeps effects around a failed handler', async () => {
    const first = await storeEvent(pool, { id: randomUUID(), type: 'order.created', data: order('P-5') });
    const bad = await storeEvent(pool, { id: randomUUID(), type: 'test.flaky', data: {} });
    const last = await storeEvent(pool, { id: randomUUID(), type: 'order.created', data: order('P-6') });

    await processor.process([inboundEvent(first), inboundEvent(bad), inboundEvent(last)]);

    assert.equal((await eventRow(first.eventId)).status, 'processed');
    assert.equal(await effectCount(first.eventId), 1);
    assert.equal((await eventRow(bad.eventId)).status, 'retrying');
    assert.equal(await effectCount(bad.eventId), 0);
    assert.equal((await eventRow(last.eventId)).status, 'processed');
    assert.equal(await effectCount(last.eventId), 1);
  });

  it('fails a handler that swallows a query error', async () => {
    const swallowing = await storeEvent(pool, { id: randomUUID(), type: 'test.swallowing', data: {} });
    const good = await storeEvent(pool, { id: randomUUID(), type: 'order.created', data: order('P-7') });

    await processor.process([inboundEvent(swallowing), inboundEvent(good)]);

    const row = await eventRow(swallowing.eventId);
    assert.equal(row.status, 'retrying');
    assert.match(row.last_error, /aborted its transaction/);
    assert.equal((await eventRow(good.eventId)).status, 'processed');
    assert.equal(await effectCount(good.eventId), 1);
  });

  it('waits for a query the handler did not await', async () => {
    const succeeding = await storeEvent(pool, { id: randomUUID(), type: 'test.unawaited', data: {} });
    const failing = await storeEvent(pool, { id: randomUUID(), type: 'test.unawaited', data: { fail: true } });

    await processor.process([inboundEvent(succeeding), inboundEvent(failing)]);

    assert.equal((await eventRow(succeeding.eventId)).status, 'processed');
    assert.equal(await effectCount(succeeding.eventId), 1);
    assert.equal((await eventRow(failing.eventId)).status, 'retrying');
    assert.equal(await effectCount(failing.eventId), 0);
  });

  it('last attempt fails and dead-letters', async () => {
    let envelope = await storeEvent(pool, { id: randomUUID(), type: 'test.flaky', data: {} });
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      await processor.process([inboundEvent(envelope)]);
      envelope = { ...envelope, deliverySeq: envelope.deliverySeq + 1 };
    }
    const row = await eventRow(envelope.eventId);
    assert.equal(row.status, 'failed');
    assert.equal(row.attempts, 3);
    assert.deepEqual(row.errors.map((entry: { attempt: number }) => entry.attempt), [1, 2, 3]);
    const deadLetter = await pool.query("SELECT 1 FROM outbox WHERE event_id = $1 AND kind = 'dead-letter'", [envelope.eventId]);
    assert.equal(deadLetter.rowCount, 1);
  });

  it('fails a permanent error at once', async () => {
    const envelope = await storeEvent(pool, { id: randomUUID(), type: 'test.permanent', data: {} });
    await processor.process([inboundEvent(envelope)]);
    const row = await eventRow(envelope.eventId);
    assert.equal(row.status, 'failed');
    assert.equal(row.attempts, 1);
    assert.equal(row.errors[0].permanent, true);
  });

  it('dead-letters only the orphan event', async () => {
    const orphan = inboundEvent({ ...(await storeEvent(pool, { id: randomUUID(), type: 't', data: 1 })), eventId: randomUUID() });
    const envelope = await storeEvent(pool, { id: randomUUID(), type: 't', data: 2 });
    const verdicts = await processor.process([orphan, inboundEvent(envelope)]);
    assert.equal(verdicts[0]?.action, 'dead-letter');
    assert.equal(verdicts[1]?.action, 'ack');
    assert.equal((await eventRow(envelope.eventId)).status, 'processed');
  });
});
