import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';

import type { Message } from 'amqplib';

import { PACK_COUNT_HEADER, readDelivery, toMessage, toPackMessage, type EventEnvelope, type OutgoingMessage } from '../src/index.js';

function envelope(overrides: Partial<EventEnvelope> = {}): EventEnvelope {
  return {
    eventId: randomUUID(),
    deliverySeq: 1,
    cloudEventId: 'ce-1',
    source: '/tests',
    type: 'pack.test',
    specVersion: '1.0',
    subject: null,
    time: null,
    dataContentType: 'application/json',
    dataSchema: null,
    data: Buffer.from('{"n":1}'),
    extensions: {},
    receivedAt: new Date('2026-12-05T01:02:03.456Z'),
    ...overrides,
  };
}

/** Builds the message as a consumer receives it. */
function delivered(outgoing: OutgoingMessage): Message {
  return {
    content: outgoing.content,
    fields: { deliveryTag: 1, redelivered: false, exchange: 'events', routingKey: outgoing.routingKey },
    properties: { ...outgoing.options, headers: outgoing.options.headers ?? {} },
  } as unknown as Message;
}

describe('event packs', () => {
  it('round-trip attributes, data and trace headers', () => {
    const events = [
      envelope({ data: Buffer.from('{"big":12345678901234567890,"x":1.10,"d":1,"d":2}'), subject: 'customer-1', time: '2026-12-05T00:00:00Z' }),
      envelope({ data: null, deliverySeq: 3, extensions: { tenant: 'acme', priority: 2, audit: true }, dataSchema: 'https://example.com/s' }),
      envelope({ data: Buffer.from([0, 255, 10, 13]), dataContentType: 'application/octet-stream' }),
      envelope({ data: Buffer.alloc(0) }),
    ];
    const traceHeaders = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'k=v' };
    const pack = toPackMessage(events.map((event) => ({ envelope: event, traceHeaders })), 'test');
    assert.equal(pack.options.headers?.[PACK_COUNT_HEADER], 4);
    assert.equal(pack.routingKey, 'pack.test');

    const read = readDelivery(delivered(pack));
    assert.deepEqual(
      read.map((event) => event.envelope),
      events,
    );
    assert.deepEqual(read[0]!.traceHeaders, traceHeaders);
  });

  it('reads a single-event message as one event with its headers as trace headers', () => {
    const event = envelope();
    const message = toMessage(event, 'test');
    message.options.headers!['traceparent'] = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const read = readDelivery(delivered(message));
    assert.equal(read.length, 1);
    assert.deepEqual(read[0]!.envelope, event);
    assert.equal(read[0]!.traceHeaders['traceparent'], message.options.headers!['traceparent']);
  });

  it('rejects a body that does not match the layout or the count header', () => {
    const pack = toPackMessage([{ envelope: envelope(), traceHeaders: {} }, { envelope: envelope(), traceHeaders: {} }], 'test');
    const cases: [string, OutgoingMessage][] = [
      ['truncated', { ...pack, content: pack.content.subarray(0, pack.content.length - 3) }],
      ['cut inside a prefix', { ...pack, content: pack.content.subarray(0, 2) }],
      ['wrong count', { ...pack, options: { ...pack.options, headers: { [PACK_COUNT_HEADER]: 3 } } }],
      ['attributes not JSON', { ...pack, content: Buffer.concat([Buffer.from([0, 0, 0, 2]), Buffer.from('{x'), Buffer.from([255, 255, 255, 255])]) }],
      ['attributes an array', { ...pack, content: Buffer.concat([Buffer.from([0, 0, 0, 2]), Buffer.from('[]'), Buffer.from([255, 255, 255, 255])]) }],
      ['negative data length', { ...pack, content: Buffer.concat([pack.content.subarray(0, pack.content.readInt32BE(0) + 4), Buffer.from([255, 255, 255, 250])]) }],
    ];
    for (const [name, message] of cases) {
      assert.throws(() => readDelivery(delivered(message)), { name: 'PermanentError' }, name);
    }
  });

  it('rejects an event in a pack without a valid id or delivery number', () => {
    const badId = toPackMessage([{ envelope: envelope({ eventId: 'not-a-uuid' }), traceHeaders: {} }], 'test');
    assert.throws(() => readDelivery(delivered(badId)), /message_id/);
    const badSeq = toPackMessage([{ envelope: envelope({ deliverySeq: 0 }), traceHeaders: {} }], 'test');
    assert.throws(() => readDelivery(delivered(badSeq)), /x-delivery-seq/);
  });
});
