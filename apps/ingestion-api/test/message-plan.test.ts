import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';

import { PACK_COUNT_HEADER, topologyNames } from '@ingestion/core';

import { planMessages, type TracedRow } from '../src/relay/message-plan.js';

const names = topologyNames('plan');

function traced(type: string, options: { kind?: 'process' | 'dead-letter'; bytes?: number } = {}): TracedRow {
  const eventId = randomUUID();
  return {
    row: {
      outboxId: String(Math.floor(Math.random() * 1e9)),
      eventId,
      kind: options.kind ?? 'process',
      lastError: options.kind === 'dead-letter' ? 'Error: boom' : null,
      traceparent: null,
      envelope: {
        eventId,
        deliverySeq: 1,
        cloudEventId: eventId,
        source: '/tests',
        type,
        specVersion: '1.0',
        subject: null,
        time: null,
        dataContentType: 'application/json',
        dataSchema: null,
        data: Buffer.alloc(options.bytes ?? 10, 0x20),
        extensions: {},
        receivedAt: new Date(),
      },
    },
    traceHeaders: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
  };
}

function plan(rows: TracedRow[], eventsPerMessage: number) {
  return planMessages(rows, { names, appId: 'test', eventsPerMessage });
}

describe('planMessages', () => {
  it('packs events by type up to the limit', () => {
    const rows = [...Array.from({ length: 7 }, () => traced('a')), ...Array.from({ length: 2 }, () => traced('b')), traced('c')];
    rows.sort(() => Math.random() - 0.5);
    const plans = plan(rows, 3);
    assert.deepEqual(plans.map((entry) => `${entry.message.routingKey}:${entry.rows.length}`).sort(), ['a:1', 'a:3', 'a:3', 'b:2', 'c:1']);
    assert.deepEqual(plans.flatMap((entry) => entry.rows.map((row) => row.eventId)).sort(), rows.map((entry) => entry.row.eventId).sort());
    for (const entry of plans) {
      assert.equal(entry.message.exchange, names.eventsExchange);
      assert.ok(entry.rows.every((row) => row.envelope?.type === entry.message.routingKey));
      const count = entry.message.options.headers?.[PACK_COUNT_HEADER];
      assert.equal(count, entry.rows.length > 1 ? entry.rows.length : undefined);
    }
  });

  it('sends a single event as an ordinary message with its trace headers', () => {
    const row = traced('a');
    const [single] = plan([row], 50);
    assert.equal(single!.message.options.messageId, row.row.eventId);
    assert.equal(single!.message.options.headers?.['traceparent'], row.traceHeaders['traceparent']);
    assert.equal(single!.message.options.headers?.['cloudEvents:type'], 'a');
  });

  it('sends one message per event when the limit is 1', () => {
    const plans = plan(Array.from({ length: 4 }, () => traced('a')), 1);
    assert.equal(plans.length, 4);
    assert.ok(plans.every((entry) => entry.message.options.headers?.[PACK_COUNT_HEADER] === undefined));
  });

  it('caps a pack at 256 KiB of data', () => {
    const plans = plan([traced('a', { bytes: 200_000 }), traced('a', { bytes: 100_000 }), traced('a', { bytes: 300_000 }), traced('a', { bytes: 10 })], 50);
    assert.deepEqual(
      plans.map((entry) => entry.rows.length),
      [1, 1, 1, 1],
    );
    const small = plan([traced('a', { bytes: 100_000 }), traced('a', { bytes: 100_000 }), traced('a', { bytes: 100_000 })], 50);
    assert.deepEqual(
      small.map((entry) => entry.rows.length),
      [2, 1],
    );
  });

  it('sends dead-letter copies alone to the dead-letter exchange with the reason', () => {
    const plans = plan([traced('a', { kind: 'dead-letter' }), traced('a', { kind: 'dead-letter' }), traced('a')], 50);
    const dead = plans.filter((entry) => entry.message.exchange === names.deadLetterExchange);
    assert.equal(dead.length, 2);
    for (const entry of dead) {
      assert.equal(entry.rows.length, 1);
      assert.equal(entry.message.options.headers?.['x-dead-letter-reason'], 'Error: boom');
    }
  });
});
