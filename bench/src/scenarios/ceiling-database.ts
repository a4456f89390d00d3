import { measureDatabaseCeiling } from '../ceilings/database-ceiling.js';
import type { PhaseResult } from '../phase-result.js';
import type { BenchContext } from './bench-context.js';

/** Bytes of the data column, close to the data of the benchmark's events. */
const DATA = Buffer.from(JSON.stringify({ orderId: 'B-1', amountCents: 1250, currency: 'EUR', note: 'x'.repeat(180) }));

/**
 * The database ceiling: event plus outbox rows through the product's driver, one event per
 * transaction from 32 connections, and 100 per transaction from 8, the sweet spots measured on
 * 2-core machines with pgbench. The tables are emptied afterwards.
 */
export async function measureDatabaseCeilings(context: BenchContext): Promise<PhaseResult[]> {
  const seconds = context.options.databaseSeconds;
  const results: PhaseResult[] = [];
  for (const [eventsPerTransaction, clients] of [
    [1, 32],
    [100, 8],
  ] as const) {
    await context.startMeasuring();
    const ceiling = await measureDatabaseCeiling(context.environment.databaseUrl, eventsPerTransaction, clients, seconds, DATA);
    await context.db.query('TRUNCATE events, outbox');
    results.push({
      id: eventsPerTransaction === 1 ? 'ceiling-db-single' : 'ceiling-db-batch',
      title: `Database ceiling, ${eventsPerTransaction} per transaction`,
      kind: 'ceiling',
      setup: `raw INSERT of event + outbox row in one statement with pg, ${eventsPerTransaction} event(s) per transaction, ${clients} connections, ${seconds} s`,
      acceptedPerSecond: ceiling.rowsPerSecond,
      ...(await context.finishMeasuring()),
      workerDuringLoad: false,
      extra: { transactions: ceiling.transactions },
    });
  }
  return results;
}
