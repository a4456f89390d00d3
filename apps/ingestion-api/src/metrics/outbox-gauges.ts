import { sharedReading, valueWithin } from '@ingestion/core';
import type pg from 'pg';
import { Gauge, type Registry } from 'prom-client';

/** Time a scrape waits for the outbox query before it reports the previous values. */
const QUERY_TIMEOUT_MS = 2_000;

interface OutboxStats {
  due: string;
  scheduled: string;
  oldest_due_age_seconds: number | null;
}

/**
 * Registers the outbox gauges, read from PostgreSQL at every scrape. Every API and standalone relay
 * process reports the same shared table, so dashboards take the max over instances, not the sum.
 * NOTE: count(*) scans the outbox; with a backlog of millions of rows a scrape costs a few hundred ms.
 */
export function registerOutboxGauges(registry: Registry, pool: pg.Pool): void {
  const read = sharedReading(() => readOutboxStats(pool));
  new Gauge({
    name: 'ingestion_outbox_backlog_rows',
    help: 'Outbox rows due for publishing and not yet published.',
    registers: [registry],
    async collect() {
      const stats = await read();
      if (stats !== undefined) this.set(Number(stats.due));
    },
  });
  new Gauge({
    name: 'ingestion_outbox_scheduled_rows',
    help: 'Outbox rows of retries that are not due yet.',
    registers: [registry],
    async collect() {
      const stats = await read();
      if (stats !== undefined) this.set(Number(stats.scheduled));
    },
  });
  new Gauge({
    name: 'ingestion_outbox_oldest_age_seconds',
    help: 'Time since the oldest due outbox row became due; 0 when no row is due.',
    registers: [registry],
    async collect() {
      const stats = await read();
      if (stats !== undefined) this.set(stats.oldest_due_age_seconds ?? 0);
    },
  });
}

async function readOutboxStats(pool: pg.Pool): Promise<OutboxStats | undefined> {
  const query = pool.query<OutboxStats>(
    `SELECT count(*) FILTER (WHERE available_at <= now()) AS due,
            count(*) FILTER (WHERE available_at > now()) AS scheduled,
            extract(epoch FROM now() - min(available_at) FILTER (WHERE available_at <= now()))::float8 AS oldest_due_age_seconds
       FROM outbox`,
  );
  try {
    return await valueWithin(query.then((result) => result.rows[0]), QUERY_TIMEOUT_MS, undefined);
  } catch {
    return undefined; // the database is down: keep the last values; the readiness probe reports it
  }
}
