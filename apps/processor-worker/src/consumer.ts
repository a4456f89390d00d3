import { backoffDelay, delay, isConnectionError, toError, traceIdOf, withDeadline, type BrokerConnection, type Logger } from '@ingestion/core';
import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';

import { AckBatcher } from './ack-batcher.js';
import type { WorkerMetrics } from './metrics/worker-metrics.js';
import type { BatchProcessor, Verdict } from './processing/batch-processor.js';

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

  /** Number of messages received and not yet acknowledged. */
  get inFlight(): number {
    return this.buffer.length + this.running.size * this.options.batchSize;
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
    this.buffer.push({ message, channel, acks });
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
      const batch = this.buffer.splice(0, this.options.batchSize);
      const run = this.runBatch(batch).finally(() => {
        this.running.delete(run);
        this.pump();
      });
      this.running.add(run);
    }
  }

  /**
   * Processes a batch, retrying with backoff while the database is unreachable, then settles its
   * messages. A batch that keeps failing for another reason, such as a deferred constraint that fails
   * at commit, is split into single messages. A single message that still fails has its event marked
   * failed, so one bad message cannot stall the consumer.
   */
  private async runBatch(batch: Delivery[]): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const verdicts = await this.processor.process(batch.map((delivery) => delivery.message));
        await this.settleAll(batch, verdicts);
        return;
      } catch (caught) {
        const error = toError(caught);
        if (this.state !== 'running' || batch.every((delivery) => delivery.channel !== this.channel)) {
          // Shutting down, or the channel is gone: let RabbitMQ deliver the messages again.
          for (const delivery of batch) settle(delivery, (channel, message) => channel.nack(message, false, true));
          this.logger.warn({ err: error, messages: batch.length }, 'batch not processed; messages returned to the queue');
          return;
        }
        if (!isConnectionError(error) && attempt >= MAX_BATCH_ATTEMPTS) {
          await this.isolateFailure(batch, error);
          return;
        }
        const wait = backoffDelay(attempt, { baseMs: 200, maxMs: 10_000 });
        this.logger.warn({ err: error, attempt, retryInMs: wait, messages: batch.length }, 'batch transaction failed; retrying');
        await delay(wait, this.stopping.signal);
      }
    }
  }

  private async isolateFailure(batch: Delivery[], error: Error): Promise<void> {
    if (batch.length > 1) {
      this.logger.warn({ err: error, messages: batch.length }, 'batch keeps failing; processing its messages one by one');
      for (const delivery of batch) await this.runBatch([delivery]);
      return;
    }
    const delivery = batch[0]!;
    const marked = await this.processor.failWithoutHandler(delivery.message, error).catch(() => false);
    if (marked) settle(delivery, (channel, message) => channel.ack(message));
    else await this.deadLetter(delivery, `Processing failed ${MAX_BATCH_ATTEMPTS} times: ${error.message}`);
  }

  private async settleAll(batch: Delivery[], verdicts: Verdict[]): Promise<void> {
    const committed = batch.filter((_, index) => verdicts[index]!.action === 'ack');
    for (const [index, delivery] of batch.entries()) {
      const verdict = verdicts[index]!;
      if (verdict.action === 'dead-letter') await this.deadLetter(delivery, verdict.reason);
    }
    for (const acks of new Set(committed.map((delivery) => delivery.acks))) {
      try {
        acks.ack(committed.filter((delivery) => delivery.acks === acks).map((delivery) => delivery.message));
      } catch {
        // The channel closed: RabbitMQ already requeued the messages, and the guard skips them when they come back.
      }
    }
  }

  /** Publishes a copy of a message that cannot be processed to the dead-letter exchange, with the reason, then acknowledges it. */
  private async deadLetter(delivery: Delivery, reason: string): Promise<void> {
    const { message } = delivery;
    const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
    const traceId = traceIdOf(typeof headers['traceparent'] === 'string' ? headers['traceparent'] : null);
    this.logger.error({ eventId: message.properties.messageId, traceId, reason }, 'message cannot be processed; dead-lettering it');
    try {
      const channel = this.deadLetterChannel;
      if (channel === undefined) throw new Error('No dead-letter channel');
      channel.publish(this.broker.names.deadLetterExchange, message.fields.routingKey, message.content, {
        ...message.properties,
        persistent: true,
        headers: { ...message.properties.headers, 'x-dead-letter-reason': reason },
      });
      await withDeadline(channel.waitForConfirms(), DEAD_LETTER_CONFIRM_TIMEOUT_MS, () => new Error('RabbitMQ did not confirm the dead-lettered copy in time'));
      settle(delivery, (ackChannel, original) => ackChannel.ack(original));
      this.metrics?.recordDeadLettered(message.fields.routingKey, 'invalid');
    } catch (error) {
      this.logger.warn({ err: toError(error) }, 'dead-lettering failed; returning the message to the queue');
      settle(delivery, (nackChannel, original) => nackChannel.nack(original, false, true));
    }
  }
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
