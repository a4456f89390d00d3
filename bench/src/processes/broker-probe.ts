import amqplib, { type Channel, type ChannelModel } from 'amqplib';

/** Message and consumer counts of a queue. */
export interface QueueDepth {
  readonly messages: number;
  readonly consumers: number;
}

/** A connection of the benchmark's own to RabbitMQ, to read queue depths and the server version. */
export class BrokerProbe {
  private readonly connection: ChannelModel;
  private channel: Channel | undefined;

  private constructor(connection: ChannelModel) {
    this.connection = connection;
  }

  static async open(url: string): Promise<BrokerProbe> {
    const connection = await amqplib.connect(url);
    // A lost connection fails the next query with its error; without a listener it would end the process at once.
    connection.on('error', () => undefined);
    return new BrokerProbe(connection);
  }

  get serverVersion(): string {
    return String(this.connection.connection.serverProperties?.version ?? 'unknown');
  }

  /** Reads a queue's counts; RabbitMQ counts only messages that are ready, not those delivered and unacknowledged. */
  async depth(queue: string): Promise<QueueDepth> {
    this.channel ??= await this.openChannel();
    const reply = await this.channel.checkQueue(queue);
    return { messages: reply.messageCount, consumers: reply.consumerCount };
  }

  async deleteQueue(queue: string): Promise<void> {
    this.channel ??= await this.openChannel();
    await this.channel.deleteQueue(queue);
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  private async openChannel(): Promise<Channel> {
    const channel = await this.connection.createChannel();
    // A failed check closes the channel; the next call opens a new one.
    channel.on('error', () => undefined);
    channel.on('close', () => {
      if (this.channel === channel) this.channel = undefined;
    });
    return channel;
  }
}
