import assert from 'node:assert/strict';

import { waitFor, type LoadReport } from '@ingestion/core/testing';
import amqplib from 'amqplib';

import type { Cluster } from './cluster.js';
import type { PlannedEvent } from './planned-events.js';

/** Time the pipeline gets to settle after a scenario: every event processed or failed, the outbox empty. */
const SETTLE_TIMEOUT_MS = 120_000;

/** What the database and the dead-letter queue hold once the pipeline settled. */
export interface Findings {
  /** Events with a 202 response, each counted once. */
  readonly accepted: number;
  readonly processed: number;
  readonly failed: number;
  /** Events with a 202 response that should have been processed and were not, or should have failed and did not. */
  readonly wrongStatus: string[];
  /** example_orders rows in total. */
  readonly orderEffects: number;
  /** Events whose number of example_orders rows is not 1 (valid order) or 0 (anything else). */
  readonly wrongEffects: string[];
  /** chaos.flaky events that did not take exactly two attempts. */
  readonly wrongRetries: string[];
  /** Event rows of the scenario, to compare with the number of distinct events sent. */
  readonly eventRows: number;
  readonly deadLetterMessages: number;
  /** Dead-lettered event ids that were not meant to fail. */
  readonly unexpectedDeadLetters: string[];
  /** Events meant to fail that are not in the dead-letter queue. */
  readonly missingDeadLetters: string[];
}

/**
 * Waits until the pipeline settled, then checks every event with a 202 response. Valid orders and
 * flaky events must be processed and invalid orders failed. Each valid order must have one
 * example_orders row and every other event none, and the dead-letter queue must contain exactly the
 * invalid orders.
 */
export async function inspect(cluster: Cluster, events: readonly PlannedEvent[], load: LoadReport): Promise<Findings> {
  const { pool } = cluster;
  await waitFor(
    'every event to be processed or failed and the outbox to be empty',
    async () => {
      const result = await pool.query<{ pending: number; outbox: number }>(
        `SELECT (SELECT count(*)::int FROM events WHERE status IN ('accepted', 'retrying')) AS pending,
                (SELECT count(*)::int FROM outbox) AS outbox`,
      );
      const { pending, outbox } = result.rows[0]!;
      return pending === 0 && outbox === 0 ? true : undefined;
    },
    SETTLE_TIMEOUT_MS,
    200,
  );

  const kindById = new Map([...load.acceptedIds].map(([index, id]) => [id, events[index]!.kind]));
  const ids = [...kindById.keys()];
  const rows = await pool.query<{ id: string; status: string; attempts: number; effects: number }>(
    `SELECT e.id, e.status, e.attempts, (SELECT count(*)::int FROM example_orders o WHERE o.event_id = e.id) AS effects
       FROM events e WHERE e.id = ANY($1::uuid[])`,
    [ids],
  );
  const wrongStatus: string[] = [];
  const wrongEffects: string[] = [];
  const wrongRetries: string[] = [];
  for (const row of rows.rows) {
    const kind = kindById.get(row.id)!;
    if (row.status !== (kind === 'invalid-order' ? 'failed' : 'processed')) wrongStatus.push(`${row.id} ${kind} ${row.status}`);
    if (row.effects !== (kind === 'order' ? 1 : 0)) wrongEffects.push(`${row.id} ${kind} ${row.effects} rows`);
    if (kind === 'flaky' && row.attempts !== 2) wrongRetries.push(`${row.id} ${row.attempts} attempts`);
  }
  for (const id of ids) if (!rows.rows.some((row) => row.id === id)) wrongStatus.push(`${id} missing from events`);

  const totals = await pool.query<{ processed: number; failed: number; event_rows: number; order_effects: number }>(
    `SELECT count(*) FILTER (WHERE status = 'processed')::int AS processed,
            count(*) FILTER (WHERE status = 'failed')::int AS failed,
            count(*)::int AS event_rows,
            (SELECT count(*)::int FROM example_orders) AS order_effects
       FROM events`,
  );
  const meantToFail = new Set(ids.filter((id) => kindById.get(id) === 'invalid-order'));
  const deadLettered = await drainDeadLetterQueue(cluster, meantToFail.size);
  const totalsRow = totals.rows[0]!;
  return {
    accepted: ids.length,
    processed: totalsRow.processed,
    failed: totalsRow.failed,
    wrongStatus,
    orderEffects: totalsRow.order_effects,
    wrongEffects,
    wrongRetries,
    eventRows: totalsRow.event_rows,
    deadLetterMessages: deadLettered.length,
    unexpectedDeadLetters: [...new Set(deadLettered.filter((id) => !meantToFail.has(id)))],
    missingDeadLetters: [...meantToFail].filter((id) => !deadLettered.includes(id)),
  };
}

/** Waits until the dead-letter queue contains at least `expected` messages, then takes all of them and returns their event ids. */
async function drainDeadLetterQueue(cluster: Cluster, expected: number): Promise<string[]> {
  const connection = await amqplib.connect(cluster.environment.rabbitmqUrl);
  try {
    const channel = await connection.createChannel();
    const queue = cluster.environment.names.deadLetterQueue;
    await waitFor(`${expected} messages in ${queue}`, async () => ((await channel.checkQueue(queue)).messageCount >= expected ? true : undefined), 30_000, 200);
    const ids: string[] = [];
    for (;;) {
      const message = await channel.get(queue, { noAck: true });
      if (message === false) break;
      ids.push(String(message.properties.messageId));
    }
    await channel.close();
    return ids;
  } finally {
    await connection.close();
  }
}

/** Prints what a scenario did and found, one fact per line. */
export function printReport(scenario: string, did: readonly string[], load: LoadReport, findings: Findings, extra: Record<string, unknown> = {}): void {
  const lines = [
    `chaos scenario: ${scenario}`,
    ...did.map((step) => `  did: ${step}`),
    `  load: ${load.requests} requests, ${load.accepted} answered 202 (${load.duplicates} as duplicates), ` +
      `503 by Retry-After ${JSON.stringify(Object.fromEntries(load.unavailable))}, ${load.networkErrors} network errors, ` +
      `${load.hung} hung, unexpected ${JSON.stringify(Object.fromEntries(load.unexpected))}, ${load.givenUp} given up`,
    `  found: ${findings.accepted} accepted events, ${findings.eventRows} event rows, ${findings.processed} processed, ${findings.failed} failed`,
    `  found: ${findings.orderEffects} example_orders rows, ${findings.wrongEffects.length} events with a wrong number of rows`,
    `  found: ${findings.deadLetterMessages} dead-lettered messages, ${findings.unexpectedDeadLetters.length} not meant to fail, ` +
      `${findings.missingDeadLetters.length} meant to fail but missing`,
    ...Object.entries(extra).map(([name, value]) => `  found: ${name} = ${JSON.stringify(value)}`),
  ];
  console.log(lines.join('\n'));
}

/** Asserts the guarantees that every scenario checks at its end. */
export function assertGuarantees(load: LoadReport, findings: Findings, eventsSent: number): void {
  assert.equal(load.givenUp, 0, 'some events were never answered 202');
  assert.equal(load.hung, 0, 'some requests hung until the client timed out');
  assert.deepEqual(Object.fromEntries(load.unexpected), {}, 'unexpected HTTP statuses');
  assert.equal(findings.accepted, eventsSent, 'not every event sent was answered 202');
  assert.equal(findings.eventRows, eventsSent, 'event rows differ from the events sent');
  assert.deepEqual(findings.wrongStatus, [], 'events not in their expected final status');
  assert.deepEqual(findings.wrongEffects, [], 'effects not applied exactly once');
  assert.deepEqual(findings.wrongRetries, [], 'flaky events not retried exactly once');
  assert.deepEqual(findings.unexpectedDeadLetters, [], 'dead-letter queue holds events not meant to fail');
  assert.deepEqual(findings.missingDeadLetters, [], 'events meant to fail are missing from the dead-letter queue');
}
