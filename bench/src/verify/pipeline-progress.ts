import type { Database } from '../resilience/retry-on-outage.js';

/** Interval between two progress queries, in milliseconds. */
const POLL_INTERVAL_MS = 500;

/** Polls `check` until it returns true or `timeoutMs` passes; returns whether it did. */
async function pollUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  return check();
}

async function isOutboxEmpty(database: Database): Promise<boolean> {
  const result = await database.query<{ waiting: boolean }>('SELECT EXISTS (SELECT 1 FROM outbox) AS waiting');
  return !result.rows[0]!.waiting;
}

/** Waits until the relay published every outbox row; returns false on timeout. */
export function waitForEmptyOutbox(database: Database, timeoutMs: number): Promise<boolean> {
  return pollUntil(() => isOutboxEmpty(database), timeoutMs);
}

/** Events of a phase stored and not yet processed. */
export async function countUnprocessed(database: Database, source: string): Promise<number> {
  const result = await database.query<{ open: string }>(`SELECT count(*) AS open FROM events WHERE source = $1 AND status <> 'processed'`, [source]);
  return Number(result.rows[0]!.open);
}

/**
 * Waits until every stored event of a phase is processed; returns false on timeout. The events are
 * looked at only once the outbox and the queue are empty, because that query reads every event of
 * the phase and would otherwise take PostgreSQL's CPU from the pipeline being measured.
 */
export function waitForProcessed(database: Database, source: string, timeoutMs: number, isQueueEmpty: () => Promise<boolean>): Promise<boolean> {
  return pollUntil(async () => {
    if (!(await isOutboxEmpty(database)) || !(await isQueueEmpty())) return false;
    const result = await database.query<{ open: boolean }>(`SELECT EXISTS (SELECT 1 FROM events WHERE source = $1 AND status <> 'processed') AS open`, [
      source,
    ]);
    return !result.rows[0]!.open;
  }, timeoutMs);
}
