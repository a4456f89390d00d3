import { runClosedLoad } from '../load/closed-load.js';
import { batchBody, phaseSource } from '../load/event-bodies.js';
import type { PhaseResult } from '../phase-result.js';
import { waitForEmptyOutbox } from '../verify/pipeline-progress.js';
import type { BenchContext } from './bench-context.js';
import { drainAndCheck } from './pipeline-drain.js';

/** Connections sending batch POSTs; each has one batch in flight. */
const BATCH_CONNECTIONS = 32;

/** Upper bound of the batch phase, in seconds, in case the API is far slower than expected. */
const BATCH_PHASE_LIMIT_SECONDS = 900;

/**
 * Batch POSTs until the backlog size is accepted, with the API and relay running and the worker
 * stopped. Once the relay has moved every event to the queue, the worker is started and drains the
 * backlog; it keeps running for the phases after this one.
 */
export async function measureBatchBacklog(context: BenchContext): Promise<PhaseResult> {
  const { backlogEvents, eventsPerBatch } = context.options;
  const source = phaseSource('batch');
  const url = `${await context.apiUrl()}/Ingestion/ingest/batch`;
  await context.stopWorker();
  await context.startMeasuring();
  const startedAt = Date.now();
  const load = await runClosedLoad({
    url,
    bodies: [batchBody(source, eventsPerBatch)],
    eventsPerRequest: eventsPerBatch,
    connections: BATCH_CONNECTIONS,
    durationSeconds: BATCH_PHASE_LIMIT_SECONDS,
    requests: Math.ceil(backlogEvents / eventsPerBatch),
  });
  await waitForEmptyOutbox(context.db, context.drainTimeoutMs);
  const relaySeconds = (Date.now() - startedAt) / 1000;
  const queued = await context.broker.depth(context.environment.names.processQueue);
  const drainStartedAt = Date.now();
  const drain = await drainAndCheck(context, source, load.acceptedEvents, startedAt);
  const drainSeconds = (Date.now() - drainStartedAt) / 1000;
  return {
    id: 'product-batch',
    title: `Product: batch POSTs of ${eventsPerBatch}, then draining the backlog`,
    kind: 'product',
    setup: `POST /Ingestion/ingest/batch with ${eventsPerBatch} events, ${load.requests} requests, API with relay, worker stopped until the relay had queued all; autocannon, ${BATCH_CONNECTIONS} connections`,
    acceptedPerSecond: Math.round(load.acceptedEvents / load.durationSeconds),
    load,
    ...drain,
    workerDuringLoad: false,
    ...(await context.finishMeasuring()),
    extra: {
      'relay events/s (from first request until outbox empty)': Math.round(load.acceptedEvents / relaySeconds),
      'backlog in queue when the worker started': queued.messages,
      'worker drain time incl. start-up (s)': Math.round(drainSeconds * 10) / 10,
    },
  };
}
