import amqplib, { type ChannelModel, type RecoveringChannelModel } from 'amqplib';

import type { Logger } from '../logging/logger.js';
import { redactUrl } from '../logging/logger.js';
import { declareTopology, type QueueType, type TopologyNames } from './topology.js';

export interface BrokerOptions {
  readonly url: string;
  readonly names: TopologyNames;
  readonly queueType: QueueType;
  readonly connectionName: string;
}

/**
 * A RabbitMQ connection that reconnects by itself with capped exponential backoff and jitter,
 * and declares the topology again after every reconnect. Channels do not survive a reconnect:
 * users listen for `connected` and open new ones.
 */
export class BrokerConnection {
  readonly names: TopologyNames;
  private connected = false;
  private readonly model: RecoveringChannelModel;

  private constructor(model: RecoveringChannelModel, names: TopologyNames) {
    this.model = model;
    this.names = names;
  }

  /** Starts connecting and returns at once; the first connection is made in the background. */
  static async open(options: BrokerOptions, logger: Logger): Promise<BrokerConnection> {
    const log = logger.child({ component: 'broker', url: redactUrl(options.url) });
    const model = await amqplib.connect(withHeartbeat(options.url), {
      clientProperties: { connection_name: options.connectionName },
      recovery: {
        initialDelay: 200,
        maxDelay: 10_000,
        factor: 2,
        jitter: 0.5,
        maxRetries: Infinity,
        waitForConnect: false,
        async setup(channelModel: ChannelModel) {
          const channel = await channelModel.createChannel();
          try {
            await declareTopology(channel, options.names, options.queueType);
          } finally {
            await channel.close().catch(() => undefined);
          }
        },
      },
    });
    const connection = new BrokerConnection(model, options.names);
    model.on('connect', () => {
      connection.connected = true;
      log.info('connected to RabbitMQ');
    });
    model.on('disconnect', (error: Error) => {
      connection.connected = false;
      log.warn({ err: error }, 'disconnected from RabbitMQ; reconnecting');
    });
    model.on('connect-failed', (error: Error) => log.warn({ err: error }, 'connection to RabbitMQ failed'));
    model.on('reconnect-scheduled', (info: { attempt: number; delay: number }) =>
      log.info({ attempt: info.attempt, retryInMs: info.delay }, 'RabbitMQ reconnect scheduled'),
    );
    model.on('blocked', (reason: string) => log.warn({ reason }, 'RabbitMQ blocked publishing (resource alarm)'));
    model.on('unblocked', () => log.info('RabbitMQ unblocked publishing'));
    model.on('error', (error: Error) => log.warn({ err: error }, 'RabbitMQ connection error'));
    model.on('handler-error', (error: Error, event: string) => log.error({ err: error, event }, 'listener of a RabbitMQ event threw'));
    return connection;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Calls `listener` on every (re)connect, after the topology was declared. */
  onConnected(listener: () => void): void {
    this.model.on('connect', listener);
  }

  async waitForConnect(): Promise<void> {
    await this.model.waitForConnect();
  }

  createChannel() {
    return this.model.createChannel();
  }

  createConfirmChannel() {
    return this.model.createConfirmChannel();
  }

  async close(): Promise<void> {
    await this.model.close().catch(() => undefined);
  }
}

/** Adds a 10-second heartbeat unless the URL sets one, so that a dead TCP connection is noticed within about 20 s. */
function withHeartbeat(value: string): string {
  const url = new URL(value);
  if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', '10');
  return url.toString();
}
