import {
  backoffDelay,
  contextFromTraceparent,
  delay,
  injectTraceHeaders,
  isTracingRecorded,
  OUTBOX_CHANNEL,
  startSpan,
  toError,
  traceIdOf,
  withTransaction,
  type BrokerConnection,
  type Logger,
} from '@ingestion/core';
import { SpanKind, SpanStatusCode, type Context } from '@opentelemetry/api';
import pg from 'pg';

import type { RelayMetrics } from '../metrics/relay-metrics.js';
import { ConfirmPublisher } from './confirm-publisher.js';
import { planMessages, type DeliverableRow } from './message-plan.js';
import { claimOutboxRows, deleteOutboxRows, postponeOutboxRows, type ClaimedRow } from './outbox-store.js';

export interface RelayOptions {
  readonly batchSize: number;
  /** Maximum events packed into one message; 1 sends one message per event. */
  readonly eventsPerMessage: number;
  /** Number of claim-and-publish loops; each has its own connection and confirm channel. */
  readonly concurrency: number;
  /** Fallback poll interval, in milliseconds, for rows whose notification was missed. */
  readonly pollIntervalMs: number;
  /**
   * Pause after a batch that was not full, in milliseconds, so that the next claim collects more rows.
   * Without it, a steady stream costs a transaction and a confirm round trip per commit's few rows.
   */
  readonly lingerMs: number;
  readonly confirmTimeoutMs: number;
  readonly databaseUrl: string;
  readonly appId: string;
}

/** Delay before an unroutable message is tried again, in milliseconds. */
const UNROUTABLE_RETRY_MS = 30_000;

/**
 * The outbox relay: claims committed outbox rows, publishes their events to RabbitMQ with publisher
 * confirms, and deletes the rows only after every message of the batch was confirmed. A failure at
 * any point rolls the claim back, so the rows are published again later: delivery is at least once,
 * and the worker drops the rare duplicate. It wakes on an in-process signal from the API, on a
 * PostgreSQL notification from other processes, and on a timer as the fallback.
 */
export class OutboxRelay {
  private readonly abort = new AbortController();
  /** Incremented by every wake-up, so that a loop can tell whether one came while it was busy. */
  private wakeGeneration = 0;
  private readonly waiters = new Set<() => void>();
  private loops: Promise<void>[] = [];
  private listener: pg.Client | undefined;
  private readonly pool: pg.Pool;
  private readonly broker: BrokerConnection;
  private readonly options: RelayOptions;
  private readonly logger: Logger;
  private readonly metrics: RelayMetrics | undefined;

  constructor(pool: pg.Pool, broker: BrokerConnection, options: RelayOptions, logger: Logger, metrics?: RelayMetrics) {
    this.pool = pool;
    this.broker = broker;
    this.options = options;
    this.logger = logger.child({ component: 'relay' });
    this.metrics = metrics;
  }

  start(): void {
    if (this.loops.length > 0) return;
    this.loops = Array.from({ length: this.options.concurrency }, (_, index) => this.runLoop(index));
    void this.listen();
    this.broker.onConnected(() => this.wake());
    this.logger.info({ concurrency: this.options.concurrency, batchSize: this.options.batchSize }, 'outbox relay started');
  }

  /** Makes idle loops look for rows now. */
  wake(): void {
    this.wakeGeneration += 1;
    for (const waiter of this.waiters) waiter();
  }

  /** Stops claiming new rows and waits for the batches in flight to finish or roll back. */
  async stop(): Promise<void> {
    if (this.abort.signal.aborted) return;
    this.abort.abort();
    this.wake();
    await Promise.allSettled(this.loops);
    await this.listener?.end().catch(() => undefined);
    this.logger.info('outbox relay stopped');
  }

  private async runLoop(index: number): Promise<void> {
    const publisher = new ConfirmPublisher(this.broker, this.options.confirmTimeoutMs);
    const log = this.logger.child({ loop: index });
    let failures = 0;
    while (!this.abort.signal.aborted) {
      const seenGeneration = this.wakeGeneration;
      try {
        const published = this.broker.isConnected ? await this.relayBatch(publisher, log) : 0;
        failures = 0;
        if (published > 0 && published < this.options.batchSize) await delay(this.options.lingerMs, this.abort.signal);
        if (published < this.options.batchSize) await this.waitForWork(seenGeneration);
      } catch (caught) {
        // NOTE: a message that RabbitMQ itself rejects, such as one over a max_message_size lowered below
        // INGEST_BODY_LIMIT_BYTES, fails its batch on every attempt, and the rows behind it wait.
        failures += 1;
        const wait = backoffDelay(failures, { baseMs: 100, maxMs: 5_000 });
        log.warn({ err: toError(caught), failures, retryInMs: wait }, 'relay batch failed; its rows will be published again');
        await delay(wait, this.abort.signal);
      }
    }
    await publisher.close();
  }

  /** Claims, publishes and deletes one batch in one transaction; returns the number of rows claimed. */
  private relayBatch(publisher: ConfirmPublisher, log: Logger): Promise<number> {
    return withTransaction(this.pool, async (client) => {
      const rows = await claimOutboxRows(client, this.options.batchSize);
      if (rows.length === 0) return 0;

      const orphans = rows.filter((row) => row.envelope === null);
      for (const orphan of orphans) {
        log.error({ eventId: orphan.eventId, outboxId: orphan.outboxId, traceId: traceIdOf(orphan.traceparent) }, 'outbox row has no event; dropping it');
      }
      const deliverable = rows.filter((row): row is DeliverableRow => row.envelope !== null);

      const unroutable = await this.publishTraced(publisher, deliverable);
      const returned = deliverable.filter((row) => unroutable.has(row.eventId));
      if (returned.length > 0) {
        log.error({ count: returned.length, exchange: this.broker.names.eventsExchange }, 'RabbitMQ could not route messages; is the queue bound?');
        await postponeOutboxRows(client, returned.map((row) => row.outboxId), UNROUTABLE_RETRY_MS);
      }
      const published = rows.filter((row) => row.envelope === null || !unroutable.has(row.eventId));
      await deleteOutboxRows(client, published.map((row) => row.outboxId));
      log.debug({ published: published.length }, 'outbox batch published');
      return rows.length;
    });
  }

  /**
   * Publishes a batch. While tracing records spans, each event gets a producer span, a child of the
   * context stored on its outbox row, and carries that span's trace headers to the worker. Otherwise
   * each event carries its stored `traceparent` on, so its trace id still reaches the worker's logs.
   * Returns the ids of the events whose message RabbitMQ could not route.
   */
  private async publishTraced(publisher: ConfirmPublisher, rows: readonly DeliverableRow[]): Promise<Set<string>> {
    const spans = isTracingRecorded() ? rows.map((row) => this.startPublishSpan(row)) : [];
    const traced = rows.map((row, index) => ({ row, traceHeaders: traceHeadersOf(row, spans[index]?.context) }));
    const plans = planMessages(traced, { names: this.broker.names, appId: this.options.appId, eventsPerMessage: this.options.eventsPerMessage });
    const started = performance.now();
    try {
      const result = await publisher.publishBatch(plans.map((plan) => plan.message));
      this.metrics?.confirmDuration.observe((performance.now() - started) / 1000);
      for (const plan of plans) this.metrics?.messageEvents.observe(plan.rows.length);
      const unroutable = new Set(plans.filter((plan) => result.unroutable.has(String(plan.message.options.messageId))).flatMap((plan) => plan.rows.map((row) => row.eventId)));
      this.countEvents(rows, (row) => (unroutable.has(row.eventId) ? 'unroutable' : 'confirmed'));
      for (const [index, row] of rows.entries()) {
        if (unroutable.has(row.eventId)) spans[index]?.span.setStatus({ code: SpanStatusCode.ERROR, message: 'unroutable' });
      }
      return unroutable;
    } catch (caught) {
      const error = toError(caught);
      this.countEvents(rows, () => 'failed');
      for (const { span } of spans) {
        span.recordException(error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      }
      throw caught;
    } finally {
      for (const { span } of spans) span.end();
    }
  }

  /** Adds the rows to the events counter, one increment per label pair rather than one per row. */
  private countEvents(rows: readonly ClaimedRow[], resultOf: (row: ClaimedRow) => 'confirmed' | 'unroutable' | 'failed'): void {
    if (this.metrics === undefined) return;
    const counts = new Map<string, number>();
    for (const row of rows) {
      const key = `${row.kind} ${resultOf(row)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const [key, count] of counts) {
      const [kind, result] = key.split(' ');
      this.metrics.events.inc({ kind, result }, count);
    }
  }

  private startPublishSpan(row: ClaimedRow) {
    const exchange = row.kind === 'process' ? this.broker.names.eventsExchange : this.broker.names.deadLetterExchange;
    return startSpan(
      `${exchange} publish`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'rabbitmq',
          'messaging.operation.type': 'send',
          'messaging.destination.name': exchange,
          'messaging.rabbitmq.destination.routing_key': row.envelope?.type ?? '',
          'messaging.message.id': row.eventId,
          'ingestion.outbox.kind': row.kind,
        },
      },
      contextFromTraceparent(row.traceparent),
    );
  }

  /** Waits for a wake-up or the poll interval, unless a wake-up came since `seenGeneration`. */
  private waitForWork(seenGeneration: number): Promise<void> {
    if (this.wakeGeneration !== seenGeneration || this.abort.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.options.pollIntervalMs);
      this.waiters.add(done);
    });
  }

  /** Listens for commits of other processes; reconnects with backoff, while polling covers the gap. */
  private async listen(): Promise<void> {
    for (let attempt = 1; !this.abort.signal.aborted; attempt += 1) {
      const client = new pg.Client({ connectionString: this.options.databaseUrl, keepAlive: true });
      client.on('notification', () => this.wake());
      const closed = new Promise<void>((resolve) => {
        client.on('error', () => resolve());
        client.on('end', () => resolve());
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
        this.listener = client;
        attempt = 0;
        this.wake(); // rows committed while we were not listening
        await Promise.race([closed, new Promise<void>((resolve) => this.abort.signal.addEventListener('abort', () => resolve(), { once: true }))]);
      } catch (error) {
        this.logger.debug({ err: toError(error) }, 'outbox LISTEN connection failed');
      } finally {
        await client.end().catch(() => undefined);
      }
      if (!this.abort.signal.aborted) await delay(backoffDelay(Math.max(attempt, 1), { baseMs: 500, maxMs: 10_000 }), this.abort.signal);
    }
  }
}

/** Returns the trace headers an event carries: those of its publish span, or its stored `traceparent` when it has none. */
function traceHeadersOf(row: ClaimedRow, spanContext: Context | undefined): Record<string, unknown> {
  const headers: Record<string, unknown> = {};
  if (spanContext !== undefined) injectTraceHeaders(spanContext, headers);
  else if (row.traceparent !== null) headers['traceparent'] = row.traceparent;
  return headers;
}
