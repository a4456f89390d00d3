import type { Database } from '../resilience/retry-on-outage.js';

/** How fast and how late the worker processed one phase's events, from the timestamps in the database. */
export interface ProcessingStats {
  readonly processed: number;
  /** Processed events divided by the time from the first to the last processing. */
  readonly processedPerSecond: number;
  /** Time from acceptance (the commit's received_at) to processed_at, in milliseconds. */
  readonly endToEnd: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Events processed per second, counted from `since`. */
  readonly timeline: readonly { readonly second: number; readonly processedEvents: number }[];
}

interface StatsRow {
  processed: string;
  span_seconds: number | null;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/** Reads the processing statistics of a phase's events; `since` is the phase's start, in epoch milliseconds. */
export async function readProcessingStats(database: Database, source: string, since: number): Promise<ProcessingStats> {
  const summary = await database.query<StatsRow>(
    `WITH done AS (
       SELECT processed_at, extract(epoch FROM processed_at - received_at) * 1000 AS latency_ms
         FROM events WHERE source = $1 AND status = 'processed'
     )
     SELECT count(*) AS processed,
            extract(epoch FROM max(processed_at) - min(processed_at))::float8 AS span_seconds,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms)::float8 AS p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms)::float8 AS p99,
            max(latency_ms)::float8 AS max
       FROM done`,
    [source],
  );
  const timeline = await database.query<{ second: number; processed: string }>(
    `SELECT floor(extract(epoch FROM processed_at - to_timestamp($2 / 1000.0)))::int AS second, count(*) AS processed
       FROM events WHERE source = $1 AND status = 'processed'
      GROUP BY 1 ORDER BY 1`,
    [source, since],
  );
  const row = summary.rows[0]!;
  const processed = Number(row.processed);
  const span = row.span_seconds ?? 0;
  return {
    processed,
    processedPerSecond: span > 0 ? Math.round(processed / span) : processed,
    endToEnd: { p50: round(row.p50), p99: round(row.p99), max: round(row.max) },
    timeline: timeline.rows.map((point) => ({ second: point.second, processedEvents: Number(point.processed) })),
  };
}

function round(value: number | null): number {
  return value === null ? 0 : Math.round(value * 10) / 10;
}
