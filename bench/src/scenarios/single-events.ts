import { runClosedLoad } from '../load/closed-load.js';
import { phaseSource, singleEventBodies } from '../load/event-bodies.js';
import type { PhaseResult } from '../phase-result.js';
import { waitForEmptyOutbox } from '../verify/pipeline-progress.js';
import type { BenchContext } from './bench-context.js';
import { drainAndCheck } from './pipeline-drain.js';

/**
 * Single-event POSTs at the maximum rate (closed model) with the API and its relay running and the
 * worker stopped, as in the target for ingestion. The worker then drains what was accepted.
 */
export async function measureSingleEvents(context: BenchContext): Promise<PhaseResult> {
  const { connections, closedSeconds } = context.options;
  const source = phaseSource('single');
  const url = `${await context.apiUrl()}/Ingestion/ingest`;
  await context.stopWorker();
  await context.startMeasuring();
  const startedAt = Date.now();
  const load = await runClosedLoad({ url, bodies: singleEventBodies(source), eventsPerRequest: 1, connections, durationSeconds: closedSeconds });
  await waitForEmptyOutbox(context.db, context.drainTimeoutMs);
  const relayDoneSeconds = (Date.now() - startedAt) / 1000;
  const drain = await drainAndCheck(context, source, load.acceptedEvents, startedAt);
  return {
    id: 'product-single',
    title: 'Product: single-event POSTs, maximum rate',
    kind: 'product',
    setup: `POST /Ingestion/ingest, API with relay, worker stopped during the load and started afterwards; autocannon, ${connections} connections, ${closedSeconds} s`,
    acceptedPerSecond: Math.round(load.acceptedEvents / load.durationSeconds),
    load,
    ...drain,
    workerDuringLoad: false,
    ...(await context.finishMeasuring()),
    extra: { 'outbox empty after (s from start)': Math.round(relayDoneSeconds * 10) / 10 },
  };
}
