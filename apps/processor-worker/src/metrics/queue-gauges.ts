import { sharedReading, toError, valueWithin, type BrokerConnection, type Logger } from '@ingestion/core';
import type { Channel } from 'amqplib';
import { Gauge, type Registry } from 'prom-client';

/** Time a scrape waits for RabbitMQ before it reports the previous values. */
const CHECK_TIMEOUT_MS = 2_000;

/**
 * Registers gauges for the depth and consumer count of the processing and dead-letter queues, read
 * with a passive queue.declare at every scrape. Every worker reports the same queues, so dashboards
 * take the max over instances. RabbitMQ's own Prometheus plugin reports the same numbers per queue.
 */
export function registerQueueGauges(registry: Registry, broker: BrokerConnection, logger: Logger): void {
  const reader = new QueueReader(broker, logger);
  const queues = [broker.names.processQueue, broker.names.deadLetterQueue];
  const read = sharedReading(() => Promise.all(queues.map(async (queue) => ({ queue, stats: await reader.check(queue) }))));
  new Gauge({
    name: 'ingestion_rabbitmq_queue_messages',
    help: 'Messages ready for delivery in a queue, as RabbitMQ reports them (not counting unacknowledged ones).',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      for (const { queue, stats } of await read()) if (stats !== undefined) this.set({ queue }, stats.messageCount);
    },
  });
  new Gauge({
    name: 'ingestion_rabbitmq_queue_consumers',
    help: 'Consumers of a queue, as RabbitMQ reports them.',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      for (const { queue, stats } of await read()) if (stats !== undefined) this.set({ queue }, stats.consumerCount);
    },
  });
}

/** Reads queue statistics on a channel of its own, opened again after the broker closed it. */
class QueueReader {
  private channel: Promise<Channel> | undefined;
  private readonly broker: BrokerConnection;
  private readonly logger: Logger;

  constructor(broker: BrokerConnection, logger: Logger) {
    this.broker = broker;
    this.logger = logger;
  }

  async check(queue: string): Promise<{ messageCount: number; consumerCount: number } | undefined> {
    if (!this.broker.isConnected) return undefined;
    try {
      return await valueWithin(this.openChannel().then((channel) => channel.checkQueue(queue)), CHECK_TIMEOUT_MS, undefined);
    } catch (error) {
      this.logger.debug({ err: toError(error), queue }, 'queue check failed');
      this.channel = undefined;
      return undefined;
    }
  }

  private openChannel(): Promise<Channel> {
    this.channel ??= this.broker.createChannel().then((channel) => {
      // A failed check (queue missing) closes the channel with an error; the next check opens a new one.
      channel.on('error', () => undefined);
      channel.on('close', () => {
        this.channel = undefined;
      });
      return channel;
    });
    return this.channel;
  }
}
