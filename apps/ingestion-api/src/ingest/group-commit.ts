import {
  insertEvents,
  isConnectionError,
  startSpan,
  toError,
  traceparentOf,
  type InsertOutcome,
  type Logger,
  type NewEvent,
} from '@ingestion/core';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, type Context, type Span } from '@opentelemetry/api';
import type pg from 'pg';

import type { ApiMetrics } from '../metrics/api-metrics.js';

export interface GroupCommitOptions {
  /** How long the first request of a batch waits for others to join it, in milliseconds. */
  readonly windowMs: number;
  /** Maximum number of events one transaction writes. */
  readonly maxBatchEvents: number;
  /** Maximum number of events waiting or being written before submit() rejects with OverloadedError. */
  readonly maxPendingEvents: number;
  /** Maximum bytes of event data waiting or being written before submit() rejects with OverloadedError. */
  readonly maxPendingBytes: number;
  /**
   * Maximum time the oldest waiting request may have waited, in milliseconds, before submit() rejects
   * new requests with OverloadedError. It bounds the latency of accepted requests when PostgreSQL falls behind.
   */
  readonly maxQueueWaitMs: number;
  /** Maximum number of transactions in flight at once. */
  readonly maxConcurrentCommits: number;
}

/** Thrown by submit() when accepting more events would grow the queue past its bound. */
export class OverloadedError extends Error {
  readonly code = 'INGEST_OVERLOADED';
}

interface PendingRequest {
  readonly events: readonly NewEvent[];
  /** Total bytes of the events' data. */
  readonly bytes: number;
  /** performance.now() when the request joined the queue. */
  readonly queuedAt: number;
  /** Trace context of the request, the parent of its commit span. */
  readonly parent: Context;
  resolve(outcomes: InsertOutcome[]): void;
  reject(error: Error): void;
}

/**
 * Group commit: coalesces the events of concurrent requests into one transaction, so that many
 * requests share one round trip and one WAL flush. A request's promise settles only after the
 * transaction holding its events committed or failed; a failed batch fails only its own requests.
 * The events of one request always go into one transaction, so a batch request is atomic.
 *
 * Tracing: each request gets its own commit span, a child of its request span, although the
 * transaction is shared; its attributes give the size of the shared batch. The commit span's
 * context is stored with the events and their outbox rows, so the publish span continues that trace.
 */
export class GroupCommitWriter {
  private queue: PendingRequest[] = [];
  private queuedEvents = 0;
  private inFlightEvents = 0;
  private pendingBytes = 0;
  private inFlightCommits = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly options: GroupCommitOptions;
  private readonly pool: pg.Pool;
  private readonly logger: Logger;
  private readonly onCommitted: () => void;
  private readonly metrics: ApiMetrics | undefined;

  constructor(pool: pg.Pool, options: GroupCommitOptions, logger: Logger, onCommitted: () => void, metrics?: ApiMetrics) {
    this.pool = pool;
    this.options = options;
    this.logger = logger;
    this.onCommitted = onCommitted;
    this.metrics = metrics;
  }

  /** Events waiting for or inside a transaction. */
  get pendingEvents(): number {
    return this.queuedEvents + this.inFlightEvents;
  }

  submit(events: readonly NewEvent[], parent: Context = ROOT_CONTEXT): Promise<InsertOutcome[]> {
    if (this.pendingEvents + events.length > this.options.maxPendingEvents) {
      return Promise.reject(new OverloadedError(`${this.pendingEvents} events are waiting for the database`));
    }
    const bytes = events.reduce((sum, event) => sum + (event.data?.length ?? 0), 0);
    if (this.pendingBytes + bytes > this.options.maxPendingBytes) {
      return Promise.reject(new OverloadedError(`${this.pendingBytes} bytes of event data are waiting for the database`));
    }
    const now = performance.now();
    const oldestWaitMs = this.queue.length > 0 ? now - this.queue[0]!.queuedAt : 0;
    if (oldestWaitMs > this.options.maxQueueWaitMs) {
      return Promise.reject(new OverloadedError(`The oldest request has waited ${Math.round(oldestWaitMs)} ms for the database`));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ events, bytes, parent, queuedAt: now, resolve, reject });
      this.queuedEvents += events.length;
      this.pendingBytes += bytes;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.inFlightCommits >= this.options.maxConcurrentCommits) return;
    if (this.queuedEvents >= this.options.maxBatchEvents || this.options.windowMs === 0) {
      this.flush();
    } else {
      this.timer ??= setTimeout(() => this.flush(), this.options.windowMs);
    }
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.takeBatch();
    if (batch.length === 0) return;
    void this.commit(batch);
    if (this.queue.length > 0) this.schedule();
  }

  /** Takes whole requests from the queue until the next one would exceed the batch size. */
  private takeBatch(): PendingRequest[] {
    const batch: PendingRequest[] = [];
    let size = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (batch.length > 0 && size + next.events.length > this.options.maxBatchEvents) break;
      batch.push(this.queue.shift()!);
      size += next.events.length;
    }
    this.queuedEvents -= size;
    return batch;
  }

  private async commit(batch: PendingRequest[]): Promise<void> {
    const events = batch.flatMap((request) => request.events);
    const spans = batch.map((request) => this.startCommitSpan(request, events.length, batch.length));
    const traceparents = batch.flatMap((request, index) => request.events.map(() => spans[index]!.traceparent));
    const started = performance.now();
    this.inFlightCommits += 1;
    this.inFlightEvents += events.length;
    try {
      const outcomes = await insertEvents(this.pool, events, traceparents);
      this.recordCommit(events.length, batch.length, started, 'committed');
      let offset = 0;
      for (const [index, request] of batch.entries()) {
        const requestOutcomes = outcomes.slice(offset, offset + request.events.length);
        for (const outcome of requestOutcomes) this.metrics?.ingestEvents.inc({ result: outcome.kind });
        spans[index]!.span.end();
        this.pendingBytes -= request.bytes;
        request.resolve(requestOutcomes);
        offset += request.events.length;
      }
      this.onCommitted();
    } catch (caught) {
      const error = toError(caught);
      this.recordCommit(events.length, batch.length, started, 'failed');
      for (const { span } of spans) {
        span.recordException(error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
        span.end();
      }
      if (batch.length > 1 && !isConnectionError(error)) {
        // One request's events may have made the whole batch fail: commit each request alone,
        // so that only the request at fault fails.
        this.logger.warn({ err: error, requests: batch.length }, 'group commit failed; retrying its requests one by one');
        for (const request of batch) void this.commit([request]);
      } else {
        this.logger.warn({ err: error, events: events.length, requests: batch.length }, 'group commit failed');
        for (const request of batch) {
          this.pendingBytes -= request.bytes;
          request.reject(error);
        }
      }
    } finally {
      this.inFlightCommits -= 1;
      this.inFlightEvents -= events.length;
      if (this.queue.length > 0) this.schedule();
    }
  }

  private startCommitSpan(request: PendingRequest, batchEvents: number, batchRequests: number): { span: Span; traceparent: string | null } {
    const { span, context } = startSpan(
      'group commit',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'db.system.name': 'postgresql',
          'ingestion.request.events': request.events.length,
          'ingestion.group_commit.events': batchEvents,
          'ingestion.group_commit.requests': batchRequests,
        },
      },
      request.parent,
    );
    return { span, traceparent: traceparentOf(context) };
  }

  private recordCommit(events: number, requests: number, started: number, result: 'committed' | 'failed'): void {
    if (this.metrics === undefined) return;
    this.metrics.groupCommitEvents.observe(events);
    this.metrics.groupCommitRequests.observe(requests);
    this.metrics.groupCommitDuration.observe({ result }, (performance.now() - started) / 1000);
  }
}
