import {
  insertEvents,
  isConnectionError,
  toError,
  withTransaction,
  type InsertOutcome,
  type Logger,
  type NewEvent,
} from '@ingestion/core';
import type pg from 'pg';

export interface GroupCommitOptions {
  /** How long the first request of a batch waits for others to join it, in milliseconds. */
  readonly windowMs: number;
  /** Maximum number of events one transaction writes. */
  readonly maxBatchEvents: number;
  /** Maximum number of events waiting or being written before submit() rejects with OverloadedError. */
  readonly maxPendingEvents: number;
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
  /** performance.now() when the request joined the queue. */
  readonly queuedAt: number;
  resolve(outcomes: InsertOutcome[]): void;
  reject(error: Error): void;
}

/**
 * Group commit: coalesces the events of concurrent requests into one transaction, so that many
 * requests share one round trip and one WAL flush. A request's promise settles only after the
 * transaction holding its events committed or failed; a failed batch fails only its own requests.
 * The events of one request always go into one transaction, so a batch request is atomic.
 */
export class GroupCommitWriter {
  private queue: PendingRequest[] = [];
  private queuedEvents = 0;
  private inFlightEvents = 0;
  private inFlightCommits = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly options: GroupCommitOptions;
  private readonly pool: pg.Pool;
  private readonly logger: Logger;
  private readonly onCommitted: () => void;

  constructor(pool: pg.Pool, options: GroupCommitOptions, logger: Logger, onCommitted: () => void) {
    this.pool = pool;
    this.options = options;
    this.logger = logger;
    this.onCommitted = onCommitted;
  }

  /** Events waiting for or inside a transaction. */
  get pendingEvents(): number {
    return this.queuedEvents + this.inFlightEvents;
  }

  submit(events: readonly NewEvent[]): Promise<InsertOutcome[]> {
    if (this.pendingEvents + events.length > this.options.maxPendingEvents) {
      return Promise.reject(new OverloadedError(`${this.pendingEvents} events are waiting for the database`));
    }
    const now = performance.now();
    const oldestWaitMs = this.queue.length > 0 ? now - this.queue[0]!.queuedAt : 0;
    if (oldestWaitMs > this.options.maxQueueWaitMs) {
      return Promise.reject(new OverloadedError(`The oldest request has waited ${Math.round(oldestWaitMs)} ms for the database`));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ events, queuedAt: now, resolve, reject });
      this.queuedEvents += events.length;
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
    this.inFlightCommits += 1;
    this.inFlightEvents += events.length;
    try {
      const outcomes = await withTransaction(this.pool, (client) => insertEvents(client, events));
      let offset = 0;
      for (const request of batch) {
        request.resolve(outcomes.slice(offset, offset + request.events.length));
        offset += request.events.length;
      }
      this.onCommitted();
    } catch (caught) {
      const error = toError(caught);
      if (batch.length > 1 && !isConnectionError(error)) {
        // One request's events may have made the whole batch fail: commit each request alone,
        // so that only the request at fault fails.
        this.logger.warn({ err: error, requests: batch.length }, 'group commit failed; retrying its requests one by one');
        for (const request of batch) void this.commit([request]);
      } else {
        this.logger.warn({ err: error, events: events.length, requests: batch.length }, 'group commit failed');
        for (const request of batch) request.reject(error);
      }
    } finally {
      this.inFlightCommits -= 1;
      this.inFlightEvents -= events.length;
      if (this.queue.length > 0) this.schedule();
    }
  }
}
