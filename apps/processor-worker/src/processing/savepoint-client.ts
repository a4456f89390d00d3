import type { TransactionClient } from '@ingestion/core';
import type { ClientBase } from 'pg';

const SAVEPOINT = 'handler_attempt';

/**
 * The transaction client a handler gets. It opens a savepoint before the handler's first query,
 * so a failed handler's writes can be undone without losing the rest of the batch, and handlers
 * that never query cost no round trip. After `close()` it rejects queries from a handler that
 * timed out but still runs.
 */
export class SavepointClient implements TransactionClient {
  private started = false;
  private closed = false;
  private readonly client: ClientBase;

  constructor(client: ClientBase) {
    this.client = client;
  }

  async query<Row extends Record<string, unknown>>(text: string, values?: readonly unknown[]) {
    if (this.closed) throw new Error('The handler attempt is over; its transaction client is closed');
    if (!this.started) {
      await this.client.query(`SAVEPOINT ${SAVEPOINT}`);
      this.started = true;
    }
    const result = await this.client.query<Row>(text, values as unknown[]);
    return { rows: result.rows, rowCount: result.rowCount };
  }

  /** Keeps the handler's writes. Throws if the handler left its savepoint in a failed state. */
  async release(): Promise<void> {
    this.closed = true;
    if (this.started) await this.client.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
  }

  /** Undoes the handler's writes. */
  async rollback(): Promise<void> {
    this.closed = true;
    if (this.started) await this.client.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}; RELEASE SAVEPOINT ${SAVEPOINT}`);
  }
}
