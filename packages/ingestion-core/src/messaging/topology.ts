import type { Channel } from 'amqplib';

/** Names of the exchanges and queues, all under one prefix so that several deployments or test runs can share a broker. */
export interface TopologyNames {
  /** Topic exchange that receives every event, with the event type as routing key. */
  readonly eventsExchange: string;
  /** Queue the workers consume. */
  readonly processQueue: string;
  /** Fanout exchange for events that will not be processed any more. */
  readonly deadLetterExchange: string;
  readonly deadLetterQueue: string;
}

export type QueueType = 'quorum' | 'classic';

export function topologyNames(prefix: string): TopologyNames {
  return {
    eventsExchange: `${prefix}.events`,
    processQueue: `${prefix}.events.process`,
    deadLetterExchange: `${prefix}.dead-letter`,
    deadLetterQueue: `${prefix}.events.dead-letter`,
  };
}

/**
 * Redeliveries after which RabbitMQ dead-letters a message from a quorum queue instead of
 * requeueing it again: a guard against a message that crashes every worker that takes it.
 * RabbitMQ 4.x would otherwise apply its default of 20 and drop the message.
 * NOTE: the events of a message dead-lettered this way, every event of a pack, stay `accepted`, and
 * nothing re-queues them. docs/guarantees.md shows how to find such events and replay them.
 */
export const QUORUM_DELIVERY_LIMIT = 50;

/** Declares the exchanges, queues and bindings. Idempotent: it runs after every (re)connect. */
export async function declareTopology(channel: Channel, names: TopologyNames, queueType: QueueType): Promise<void> {
  await channel.assertExchange(names.eventsExchange, 'topic', { durable: true });
  await channel.assertExchange(names.deadLetterExchange, 'fanout', { durable: true });

  const typeArguments: Record<string, unknown> = { 'x-queue-type': queueType };
  if (queueType === 'quorum') typeArguments['x-delivery-limit'] = QUORUM_DELIVERY_LIMIT;

  await channel.assertQueue(names.processQueue, {
    durable: true,
    arguments: { ...typeArguments, 'x-dead-letter-exchange': names.deadLetterExchange },
  });
  await channel.bindQueue(names.processQueue, names.eventsExchange, '#');

  await channel.assertQueue(names.deadLetterQueue, { durable: true, arguments: { 'x-queue-type': queueType } });
  await channel.bindQueue(names.deadLetterQueue, names.deadLetterExchange, '');
}
