import amqplib, { type Channel, type ChannelModel } from 'amqplib';

import { retryOnOutage } from '../resilience/retry-on-outage.js';

/** Message and consumer counts of a queue. */
export interface QueueDepth {
  readonly messages: number;
  readonly consumers: number;
}

/**
 * A connection of the benchmark's own to RabbitMQ, to read queue depths and the server version.
 * It reconnects on the next call after the connection or channel was lost.
 */
export class BrokerProbe {
  private readonly url: string;
  private connection: ChannelModel | undefined;
  private channel: Channel | undefined;
  private version = 'unknown';

  private constructor(url: string) {
    this.url = url;
  }

  static async open(url: string): Promise<BrokerProbe> {
    const probe = new BrokerProbe(url);
    await probe.withChannel(async () => undefined);
    return probe;
  }

  get serverVersion(): string {
    return this.version;
  }

  /** Reads a queue's counts; RabbitMQ counts only messages that are ready, not those delivered and unacknowledged. */
  depth(queue: string): Promise<QueueDepth> {
    return this.withChannel(async (channel) => {
      const reply = await channel.checkQueue(queue);
      return { messages: reply.messageCount, consumers: reply.consumerCount };
    });
  }

  async deleteQueue(queue: string): Promise<void> {
    await this.withChannel((channel) => channel.deleteQueue(queue));
  }

  async close(): Promise<void> {
    await this.connection?.close().catch(() => undefined);
  }

  private withChannel<T>(operation: (channel: Channel) => Promise<T>): Promise<T> {
    return retryOnOutage('query RabbitMQ', async () => operation(await this.openChannel()));
  }

  private async openChannel(): Promise<Channel> {
    if (this.channel !== undefined) return this.channel;
    if (this.connection === undefined) {
      const connection = await amqplib.connect(this.url);
      this.version = String(connection.connection.serverProperties.version ?? 'unknown');
      // A lost connection fails the next call, which then reconnects; without a listener it would end the process.
      connection.on('error', () => undefined);
      connection.on('close', () => {
        if (this.connection === connection) this.connection = undefined;
      });
      this.connection = connection;
    }
    const channel = await this.connection.createChannel();
    channel.on('error', () => undefined);
    channel.on('close', () => {
      if (this.channel === channel) this.channel = undefined;
    });
    this.channel = channel;
    return channel;
  }
}
