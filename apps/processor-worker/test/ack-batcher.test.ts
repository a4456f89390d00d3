import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Channel, ConsumeMessage } from 'amqplib';

import { AckBatcher } from '../src/ack-batcher.js';

/** Creates a channel that records the acknowledgements it sends. */
function recordingChannel() {
  const acks: { tag: number; multiple: boolean }[] = [];
  const channel = {
    ack(message: ConsumeMessage, multiple: boolean) {
      acks.push({ tag: message.fields.deliveryTag, multiple });
    },
  } as unknown as Channel;
  return { channel, acks };
}

function deliveries(count: number): ConsumeMessage[] {
  return Array.from({ length: count }, (_, index) => ({ fields: { deliveryTag: index + 1 } }) as ConsumeMessage);
}

describe('AckBatcher', () => {
  it('acknowledges a settled run with one ack multiple', () => {
    const { channel, acks } = recordingChannel();
    const batcher = new AckBatcher(channel);
    const messages = deliveries(5);
    for (const message of messages) batcher.track(message);

    batcher.ack(messages.slice(0, 3));

    assert.deepEqual(acks, [{ tag: 3, multiple: true }]);
  });

  it('holds back later batches until the oldest one settles', () => {
    const { channel, acks } = recordingChannel();
    const batcher = new AckBatcher(channel);
    const messages = deliveries(6);
    for (const message of messages) batcher.track(message);

    batcher.ack(messages.slice(3, 6));
    assert.deepEqual(acks, [], 'deliveries 1-3 are still being processed');

    batcher.ack(messages.slice(0, 3));
    assert.deepEqual(acks, [{ tag: 6, multiple: true }]);
  });

  it('passes over messages settled on their own', () => {
    const { channel, acks } = recordingChannel();
    const batcher = new AckBatcher(channel);
    const messages = deliveries(4);
    for (const message of messages) batcher.track(message);

    batcher.ack([messages[2]!, messages[3]!]);
    batcher.ack([messages[0]!]);
    assert.deepEqual(acks, [{ tag: 1, multiple: true }], 'delivery 2 is not settled yet');

    batcher.forget(messages[1]!);
    assert.deepEqual(acks, [
      { tag: 1, multiple: true },
      { tag: 4, multiple: true },
    ]);
  });

  it('sends nothing when only rejected messages settle', () => {
    const { channel, acks } = recordingChannel();
    const batcher = new AckBatcher(channel);
    const messages = deliveries(2);
    for (const message of messages) batcher.track(message);

    batcher.forget(messages[0]!);
    batcher.forget(messages[1]!);

    assert.deepEqual(acks, []);
  });
});
