import {
  DEAD_LETTER_REASON_HEADER,
  backoffDelay,
  delay,
  isConnectionError,
  readDelivery,
  toError,
  toMessage,
  traceIdOf,
  withDeadLetterReason,
  withDeadline,
  type BrokerConnection,
  type DeliveredEvent,
  type Logger,
  type OutgoingMessage,
} from '@ingestion/core';
import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';

import { AckBatcher } from './ack-batcher.js';
import type { WorkerMetrics } from './metrics/worker-metrics.js';
import type { BatchProcessor, InboundEvent, Verdict } from './processing/batch-processor.js';

export interface ConsumerOptions {
  readonly prefetch: number;
  readonly batchSize: number;
  readonly concurrency: number;
}

/** Time to wait for RabbitMQ to confirm a dead-lettered copy before the original goes back to the queue, in milliseconds. */
const DEAD_LETTER_CONFIRM_TIMEOUT_MS = 10_000;

/** A delivered message and the channel it came on; it can only be acknowledged on that channel. */
interface Delivery {
  readonly message: ConsumeMessage;
  readonly channel: Channel;
  readonly acks: AckBatcher;
  /** The events the message contains: one, or several when the relay packed them. */
  readonly events: readonly DeliveredEvent[];
  /** Reason the message cannot be read, when it is not one of ours. Such a message has no events. */
  readonly invalid?: string;
}

/** An event that will not be processed and goes to the dead-letter exchange, with the reason. */
interface Rejected {
  readonly event: DeliveredEvent;
  readonly reason: string;
}

type ConsumerState = 'idle' | 'running' | 'stopping' | 'stopped';

/** Attempts of a batch that fails for a reason other than an unreachable database, before it is split. */
const MAX_BATCH_ATTEMPTS = 3;

/**
 * Consumes the processing queue with manual acknowledgements and a bounded prefetch, hands the
 * messages to the batch processor, and acknowledges them in groups, each only after its outcome committed.
 * Memory stays bounded by the prefetch, whatever the queue's length. After a reconnect it opens
 * new channels and consumes again; messages of a dead channel are redelivered by RabbitMQ.
 */
export class EventConsumer {
  private state: ConsumerState = 'idle';
  private channel: Channel | undefined;
  private deadLetterChannel: ConfirmChannel | undefined;
  private consumerTag: string | undefined;
  private buffer: Delivery[] = [];
  private running = new Set<Promise<void>>();
  private pumpScheduled = false;
  /** Aborted by stop(), so that a batch waiting to retry its transaction gives up at once. */
  private readonly stopping = new AbortController();
  private readonly broker: BrokerConnection;
  private readonly processor: BatchProcessor;
  private readonly options: ConsumerOptions;
  private readonly logger: Logger;
  private readonly metrics: WorkerMetrics | undefined;

  constructor(broker: BrokerConnection, processor: BatchProcessor, options: ConsumerOptions, logger: Logger, metrics?: WorkerMetrics) {
    this.broker = broker;
    this.processor = processor;
    this.options = options;
    this.logger = logger.child({ component: 'consumer', queue: broker.names.processQueue });
    this.metrics = metrics;
  }

  /** True while the consumer has a channel with an active consumer on the processing queue. */
  get isConsuming(): boolean {
    return this.state === 'running' && this.consumerTag !== undefined;
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    this.broker.onConnected(() => void this.attach());
    if (this.broker.isConnected) void this.attach();
  }

  /**
   * Graceful stop: cancel the consumer, hand unstarted messages back to RabbitMQ, wait for the
   * batches in flight to commit and be acknowledged, then close the channels.
   */
  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    this.stopping.abort();
    if (this.channel !== undefined && this.consumerTag !== undefined) {
      await this.channel.cancel(this.consumerTag).catch(() => undefined);
    }
    const unstarted = this.buffer;
    this.buffer = [];
    for (const delivery of unstarted) settle(delivery, (channel, message) => channel.nack(message, false, true));
    await Promise.allSettled(this.running);
    await this.channel?.close().catch(() => undefined);
    await this.deadLetterChannel?.close().catch(() => undefined);
    this.state = 'stopped';
    this.logger.info({ returned: unstarted.length }, 'consumer stopped');
  }

  private async attach(): Promise<void> {
    if (this.state !== 'running') return;
    try {
      const channel = await this.broker.createChannel();
      channel.on('error', (error: Error) => this.logger.warn({ err: error }, 'consumer channel error'));
      channel.on('close', () => this.onChannelClosed(channel));
      await channel.prefetch(this.options.prefetch);
      this.deadLetterChannel = await this.broker.createConfirmChannel();
      this.deadLetterChannel.on('error', () => undefined);
      this.channel = channel;
      const acks = new AckBatcher(channel);
      const reply = await channel.consume(this.broker.names.processQueue, (message) => this.onMessage(channel, acks, message), { noAck: false });
      this.consumerTag = reply.consumerTag;
      this.logger.info({ prefetch: this.options.prefetch, concurrency: this.options.concurrency }, 'consuming');
    } catch (error) {
      this.logger.warn({ err: toError(error) }, 'could not start consuming; waiting for the next reconnect');
    }
  }

  private onChannelClosed(channel: Channel): void {
    if (this.channel !== channel) return;
    this.channel = undefined;
    this.consumerTag = undefined;
    // RabbitMQ requeues every unacknowledged message of a closed channel.
    this.buffer = this.buffer.filter((delivery) => delivery.channel !== channel);
    if (this.state === 'running') this.logger.warn('consumer channel closed; consuming again after reconnect');
  }

  private onMessage(channel: Channel, acks: AckBatcher, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled the consumer, for example because the queue was deleted.
      this.logger.error('RabbitMQ cancelled the consumer; consuming again in 5 s');
      setTimeout(() => void this.attach(), 5_000).unref();
      return;
    }
    acks.track(message);
    this.buffer.push({ message, channel, acks, ...readEvents(message) });
    this.schedulePump();
  }

  /**
   * Starts batches once the deliveries that arrived together are buffered: amqplib hands over every
   * message of a network read before setImmediate runs, so a batch starts full instead of with
   * the first message alone.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Starts batches while there are messages and free slots. */
  private pump(): void {
    while (this.state === 'running' && this.buffer.length > 0 && this.running.size < this.options.concurrency) {
      const batch = this.takeBatch();
      const run = this.runBatch(batch).finally(() => {
        this.running.delete(run);
        this.pump();
      });
      this.running.add(run);
    }
  }

  /** Takes whole messages from the buffer until they contain a batch's worth of events, so a pack never spans two batches. */
  private takeBatch(): Delivery[] {
    let count = 0;
    for (let events = 0; count < this.buffer.length && events < this.options.batchSize; count += 1) {
      events += Math.max(1, this.buffer[count]!.events.length);
    }
    return this.buffer.splice(0, count);
  }

  /** Dead-letters the messages that are not ours, processes the events of the others, then settles every message. */
  private async runBatch(batch: Delivery[]): Promise<void> {
    for (const delivery of batch) {
      if (delivery.invalid !== undefined) await this.deadLetter(delivery, [copyOf(delivery.message, delivery.invalid)]);
    }
    const valid = batch.filter((delivery) => delivery.invalid === undefined);
    if (valid.length === 0) return;
    const events = valid.flatMap(inboundEvents);
    const verdicts: Verdict[] = [];
    // A pack larger than batchSize, from a relay with a larger RELAY_EVENTS_PER_MESSAGE, commits in several transactions.
    for (let start = 0; start < events.length; start += this.options.batchSize) {
      const own = await this.processWithRetries(events.slice(start, start + this.options.batchSize), valid);
      if (own === undefined) {
        for (const delivery of valid) settle(delivery, (channel, message) => channel.nack(message, false, true));
        return;
      }
      verdicts.push(...own);
    }
    await this.settleAll(valid, verdicts);
  }

  /**
   * Processes events, retrying with backoff while the database is unreachable. Events whose
   * transaction keeps failing for another reason, such as a deferred constraint that fails at commit,
   * are processed one at a time. Returns undefined when the worker is stopping or the messages'
   * channel is gone, so that they go back to RabbitMQ.
   */
  private async processWithRetries(events: readonly InboundEvent[], deliveries: readonly Delivery[]): Promise<Verdict[] | undefined> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.processor.process(events);
      } catch (caught) {
        const error = toError(caught);
        if (this.state !== 'running' || deliveries.every((delivery) => delivery.channel !== this.channel)) {
          this.logger.warn({ err: error, messages: deliveries.length }, 'batch not processed; messages returned to the queue');
          return undefined;
        }
        if (!isConnectionError(error) && attempt >= MAX_BATCH_ATTEMPTS) return this.isolateFailure(events, deliveries, error);
        const wait = backoffDelay(attempt, { baseMs: 200, maxMs: 10_000 });
        this.logger.warn({ err: error, attempt, retryInMs: wait, events: events.length }, 'batch transaction failed; retrying');
        await delay(wait, this.stopping.signal);
      }
    }
  }

  /** Processes the events of a failing batch one by one. A single event that still fails has its event marked failed, so one bad event cannot stall the consumer. */
  private async isolateFailure(events: readonly InboundEvent[], deliveries: readonly Delivery[], error: Error): Promise<Verdict[] | undefined> {
    if (events.length > 1) {
      this.logger.warn({ err: error, events: events.length }, 'batch keeps failing; processing its events one by one');
      const verdicts: Verdict[] = [];
      for (const event of events) {
        const own = await this.processWithRetries([event], deliveries);
        if (own === undefined) return undefined;
        verdicts.push(...own);
      }
      return verdicts;
    }
    const marked = await this.processor.failWithoutHandler(events[0]!, error).catch(() => false);
    return [marked ? { action: 'ack' } : { action: 'dead-letter', reason: `Processing failed ${MAX_BATCH_ATTEMPTS} times: ${error.message}` }];
  }

  /** Acknowledges the messages whose events all committed, and dead-letters the events that cannot be processed. */
  private async settleAll(batch: readonly Delivery[], verdicts: readonly Verdict[]): Promise<void> {
    const committed: Delivery[] = [];
    let index = 0;
    for (const delivery of batch) {
      const rejected: Rejected[] = [];
      for (const event of delivery.events) {
        const verdict = verdicts[index++]!;
        if (verdict.action === 'dead-letter') rejected.push({ event, reason: verdict.reason });
      }
      if (rejected.length === 0) committed.push(delivery);
      else await this.deadLetter(delivery, deadLetterCopies(delivery, rejected));
    }
    for (const acks of new Set(committed.map((delivery) => delivery.acks))) {
      try {
        acks.ack(committed.filter((delivery) => delivery.acks === acks).map((delivery) => delivery.message));
      } catch {
        // The channel closed: RabbitMQ already requeued the messages, and the guard skips them when they come back.
      }
    }
  }

  /**
   * Publishes copies of what cannot be processed to the dead-letter exchange, each with its reason in
   * `x-dead-letter-reason`, then acknowledges the message. When RabbitMQ does not confirm the copies,
   * the message goes back to the queue, and its other events are skipped as duplicates when it returns.
   */
  private async deadLetter(delivery: Delivery, copies: readonly OutgoingMessage[]): Promise<void> {
    for (const copy of copies) {
      const headers = copy.options.headers ?? {};
      const traceId = traceIdOf(typeof headers['traceparent'] === 'string' ? headers['traceparent'] : null);
      this.logger.error({ eventId: copy.options.messageId, traceId, reason: headers[DEAD_LETTER_REASON_HEADER] }, 'message cannot be processed; dead-lettering it');
    }
    try {
      const channel = this.deadLetterChannel;
      if (channel === undefined) throw new Error('No dead-letter channel');
      for (const copy of copies) channel.publish(this.broker.names.deadLetterExchange, copy.routingKey, copy.content, copy.options);
      await withDeadline(channel.waitForConfirms(), DEAD_LETTER_CONFIRM_TIMEOUT_MS, () => new Error('RabbitMQ did not confirm the dead-lettered copy in time'));
      settle(delivery, (ackChannel, original) => ackChannel.ack(original));
      for (const copy of copies) this.metrics?.recordDeadLettered(copy.routingKey, 'invalid');
    } catch (error) {
      this.logger.warn({ err: toError(error) }, 'dead-lettering failed; returning the message to the queue');
      settle(delivery, (nackChannel, original) => nackChannel.nack(original, false, true));
    }
  }
}

/** Reads a message's events, or why it cannot be read. */
function readEvents(message: ConsumeMessage): Pick<Delivery, 'events' | 'invalid'> {
  try {
    return { events: readDelivery(message) };
  } catch (error) {
    return { events: [], invalid: toError(error).message };
  }
}

function inboundEvents(delivery: Delivery): InboundEvent[] {
  return delivery.events.map((event) => ({ event, message: delivery.message }));
}

/** Builds a persistent copy of a delivered message, byte for byte, with the reason it is dead-lettered. */
function copyOf(message: ConsumeMessage, reason: string): OutgoingMessage {
  const copy = { routingKey: message.fields.routingKey, content: message.content, options: { ...message.properties, persistent: true } };
  return withDeadLetterReason(copy, reason);
}

/**
 * Builds the dead-letter copies of a message's rejected events: the message itself when it contains one
 * event, else one single-event message per rejected event, so that the dead-letter queue has one event per message.
 */
function deadLetterCopies(delivery: Delivery, rejected: readonly Rejected[]): OutgoingMessage[] {
  if (delivery.events.length === 1) return [copyOf(delivery.message, rejected[0]!.reason)];
  const appId = String(delivery.message.properties.appId ?? '');
  return rejected.map(({ event, reason }) => withDeadLetterReason(toMessage(event.envelope, appId, event.traceHeaders), reason));
}

/** Acknowledges or rejects a message on its own channel; does nothing if that channel is closed. */
function settle(delivery: Delivery, action: (channel: Channel, message: ConsumeMessage) => void): void {
  try {
    action(delivery.channel, delivery.message);
    delivery.acks.forget(delivery.message);
  } catch {
    // The channel closed: RabbitMQ already requeued the message.
  }
}
