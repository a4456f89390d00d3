import type { Database } from '../resilience/retry-on-outage.js';

/** Counts behind the exactly-once check of one phase's events. */
export interface ExactlyOnceResult {
  /** Events the load generator saw accepted (202). */
  readonly accepted: number;
  /** Events stored; more than `accepted` when a request timed out after its commit. */
  readonly stored: number;
  readonly processed: number;
  /** Processed events whose handler ran more than once, or events not processed. */
  readonly notExactlyOnce: number;
  /** `order.created` events, whose handler writes one example_orders row per run. */
  readonly orders: number;
  readonly ordersWithoutEffect: number;
  readonly ordersWithDuplicateEffect: number;
  readonly passed: boolean;
}

interface CheckRow {
  stored: string;
  processed: string;
  not_once: string;
  orders: string;
  orders_missing: string;
  orders_duplicated: string;
}

/**
 * Checks that every event of the phase is stored, processed, and was handled by exactly one
 * successful handler run: attempts = 1 for all, and one example_orders row per `order.created` event.
 */
export async function checkExactlyOnce(database: Database, source: string, accepted: number): Promise<ExactlyOnceResult> {
  const result = await database.query<CheckRow>(
    `SELECT count(*) AS stored,
            count(*) FILTER (WHERE e.status = 'processed') AS processed,
            count(*) FILTER (WHERE e.status <> 'processed' OR e.attempts <> 1) AS not_once,
            count(*) FILTER (WHERE e.type = 'order.created') AS orders,
            count(*) FILTER (WHERE e.type = 'order.created' AND o.runs IS NULL) AS orders_missing,
            count(*) FILTER (WHERE o.runs > 1) AS orders_duplicated
       FROM events e
       LEFT JOIN (SELECT event_id, count(*) AS runs FROM example_orders GROUP BY event_id) o ON o.event_id = e.id
      WHERE e.source = $1`,
    [source],
  );
  const row = result.rows[0]!;
  const counts = {
    accepted,
    stored: Number(row.stored),
    processed: Number(row.processed),
    notExactlyOnce: Number(row.not_once),
    orders: Number(row.orders),
    ordersWithoutEffect: Number(row.orders_missing),
    ordersWithDuplicateEffect: Number(row.orders_duplicated),
  };
  const passed =
    counts.stored >= accepted &&
    counts.processed === counts.stored &&
    counts.notExactlyOnce === 0 &&
    counts.ordersWithoutEffect === 0 &&
    counts.ordersWithDuplicateEffect === 0;
  return { ...counts, passed };
}
