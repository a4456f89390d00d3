import type { TransactionClient } from '@ingestion/core';
import type { ClientBase } from 'pg';

const SAVEPOINT = 'handler_attempt';

/**
 * The transaction client a handler gets. It opens a savepoint before the handler's first query,
 * so a failed handler's writes can be undone without losing the rest of the batch, and handlers
 * that never query cost no round trip. After `release()` or `rollback()` it rejects queries from a
 * handler that timed out but still runs.
 *
 * A kept savepoint stays open until the batch's transaction ends, which saves a RELEASE round trip
 * per handler. The next handler's savepoint nests inside it, ROLLBACK TO SAVEPOINT undoes only the
 * newest savepoint of that name, and the commit keeps them all.
 */
export class SavepointClient implements TransactionClient {
  private started = false;
  private closed = false;
  /** Whether a query of the handler failed. PostgreSQL then rejects every statement until a rollback. */
  private queryFailed = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly client: ClientBase;

  constructor(client: ClientBase) {
    this.client = client;
  }

  async query<Row extends Record<string, unknown>>(text: string, values?: readonly unknown[]) {
    if (this.closed) throw closedError();
    const work = this.run<Row>(text, values);
    this.inFlight.add(work);
    try {
      return await work;
    } catch (error) {
      this.queryFailed = true;
      throw error;
    } finally {
      this.inFlight.delete(work);
    }
  }

  /**
   * Keeps the handler's writes, once every query the handler started has finished, awaited or not.
   * Throws if one of them failed, even when the handler caught the error, because the failure aborted
   * the transaction.
   */
  async release(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled(this.inFlight);
    this.closed = true;
    if (this.queryFailed) throw new Error('A query of the handler failed and aborted its transaction, although the handler did not throw');
  }

  /** Undoes the handler's writes. */
  async rollback(): Promise<void> {
    this.closed = true;
    if (this.started) await this.client.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}; RELEASE SAVEPOINT ${SAVEPOINT}`);
  }

  private async run<Row extends Record<string, unknown>>(text: string, values?: readonly unknown[]) {
    if (!this.started) {
      this.started = true;
      await this.client.query(`SAVEPOINT ${SAVEPOINT}`);
    }
    // A rollback may have been queued while the savepoint was being set, and the query would run after it.
    if (this.closed) throw closedError();
    const result = await this.client.query<Row>(text, values as unknown[]);
    return { rows: result.rows, rowCount: result.rowCount };
  }
}

function closedError(): Error {
  return new Error('The handler attempt is over; its transaction client is closed');
}
