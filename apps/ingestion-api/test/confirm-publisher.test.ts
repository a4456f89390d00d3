import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';

import type { BrokerConnection } from '@ingestion/core';

import { ConfirmPublisher } from '../src/relay/confirm-publisher.js';

/** A confirm channel whose confirms never arrive, as when the broker stalls. */
class SilentChannel extends EventEmitter {
  published = 0;
  closed = false;
  publish() {
    this.published += 1;
    return true;
  }
  waitForConfirms() {
    return new Promise<void>(() => undefined);
  }
  async close() {
    this.closed = true;
  }
}

function fakeBroker(channels: SilentChannel[]): BrokerConnection {
  return {
    isConnected: true,
    async createConfirmChannel() {
      const channel = new SilentChannel();
      channels.push(channel);
      return channel;
    },
  } as unknown as BrokerConnection;
}

const message = { exchange: 'events', routingKey: 't', content: Buffer.from('{}'), options: { messageId: 'm-1' } };

describe('ConfirmPublisher', () => {
  it('fails a batch whose confirms never arrive', async () => {
    const channels: SilentChannel[] = [];
    const publisher = new ConfirmPublisher(fakeBroker(channels), 50);
    await assert.rejects(publisher.publishBatch([message, message]), { code: 'BROKER_TIMEOUT' });
    assert.equal(channels[0]!.published, 2);
  });

  it('opens a fresh channel after a timeout', async () => {
    const channels: SilentChannel[] = [];
    const publisher = new ConfirmPublisher(fakeBroker(channels), 50);
    await assert.rejects(publisher.publishBatch([message]));
    await assert.rejects(publisher.publishBatch([message]));
    assert.equal(channels.length, 2);
    assert.equal(channels[0]!.closed, true);
  });

  it('refuses to publish while disconnected', async () => {
    const broker = { isConnected: false } as unknown as BrokerConnection;
    await assert.rejects(new ConfirmPublisher(broker, 50).publishBatch([message]), { code: 'BROKER_UNAVAILABLE' });
  });
});
