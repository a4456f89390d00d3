import { TransientError, withDeadline, type BrokerConnection, type OutgoingMessage } from '@ingestion/core';
import type { ConfirmChannel, Message } from 'amqplib';

/** Result of publishing a batch: the message ids that the broker returned as unroutable. */
export interface PublishResult {
  readonly unroutable: ReadonlySet<string>;
}

/**
 * Publishes batches of persistent messages on one confirm channel and resolves only when RabbitMQ
 * confirmed every one of them. All messages of a batch are in flight at once (pipelined), and a
 * batch whose confirms do not all arrive within the timeout fails instead of counting as sent.
 */
export class ConfirmPublisher {
  private channel: ConfirmChannel | undefined;
  private readonly broker: BrokerConnection;
  private readonly confirmTimeoutMs: number;

  constructor(broker: BrokerConnection, confirmTimeoutMs: number) {
    this.broker = broker;
    this.confirmTimeoutMs = confirmTimeoutMs;
  }

  async publishBatch(messages: readonly (OutgoingMessage & { readonly exchange: string })[]): Promise<PublishResult> {
    const channel = await this.openChannel();
    const unroutable = new Set<string>();
    const onReturn = (message: Message) => {
      if (typeof message.properties.messageId === 'string') unroutable.add(message.properties.messageId);
    };
    channel.on('return', onReturn);
    try {
      for (const message of messages) {
        const fits = channel.publish(message.exchange, message.routingKey, message.content, { ...message.options, mandatory: true });
        if (!fits) await this.waitForDrain(channel);
      }
      await this.waitForConfirms(channel);
      return { unroutable };
    } catch (error) {
      // The channel's state is unknown after a failure: drop it so that the next batch opens a fresh one.
      this.discardChannel();
      throw error;
    } finally {
      channel.off('return', onReturn);
    }
  }

  async close(): Promise<void> {
    const channel = this.channel;
    this.channel = undefined;
    await channel?.close().catch(() => undefined);
  }

  private async openChannel(): Promise<ConfirmChannel> {
    if (this.channel !== undefined) return this.channel;
    if (!this.broker.isConnected) throw new TransientError('RabbitMQ is not connected', { code: 'BROKER_UNAVAILABLE' });
    const channel = await withDeadline(this.broker.createConfirmChannel(), this.confirmTimeoutMs, () => timeoutError(this.confirmTimeoutMs, 'opening a confirm channel'));
    channel.on('error', () => undefined); // a channel error is followed by 'close', handled below
    channel.on('close', () => {
      if (this.channel === channel) this.channel = undefined;
    });
    this.channel = channel;
    return channel;
  }

  private discardChannel(): void {
    const channel = this.channel;
    this.channel = undefined;
    channel?.close().catch(() => undefined);
  }

  private waitForConfirms(channel: ConfirmChannel): Promise<void> {
    return withDeadline(channel.waitForConfirms(), this.confirmTimeoutMs, () => timeoutError(this.confirmTimeoutMs, 'publisher confirms'));
  }

  private waitForDrain(channel: ConfirmChannel): Promise<void> {
    return withDeadline(
      new Promise<void>((resolve) => channel.once('drain', () => resolve())),
      this.confirmTimeoutMs,
      () => timeoutError(this.confirmTimeoutMs, 'the channel to drain'),
    );
  }
}

function timeoutError(ms: number, what: string): TransientError {
  return new TransientError(`Timed out after ${ms} ms waiting for ${what}`, { code: 'BROKER_TIMEOUT' });
}
