import { phaseSource, singleEventBodies } from '../load/event-bodies.js';
import { runOpenLoad } from '../load/open-load.js';
import type { PhaseResult } from '../phase-result.js';
import { countUnprocessed } from '../verify/pipeline-progress.js';
import type { BenchContext } from './bench-context.js';
import { drainAndCheck } from './pipeline-drain.js';

export interface FixedRatePhase {
  readonly id: string;
  readonly title: string;
  /** Arrival rate, in single-event requests per second. */
  readonly rate: number;
  readonly durationSeconds: number;
}

/** Connections of the open-model generator. */
const OPEN_CONNECTIONS = 200;

/** Requests in flight above which the generator counts new arrivals as errors. */
const OPEN_MAX_IN_FLIGHT = 10_000;

/**
 * Single-event POSTs arriving at a fixed rate (open model) with the API, the relay and the worker
 * running. The events not yet processed when the load stops show whether the backlog stayed flat.
 */
export async function measureFixedRate(context: BenchContext, phase: FixedRatePhase): Promise<PhaseResult> {
  const source = phaseSource(phase.id);
  const url = `${await context.apiUrl()}/Ingestion/ingest`;
  await context.startWorker();
  await context.startMeasuring();
  const startedAt = Date.now();
  const load = await runOpenLoad({
    url,
    bodies: singleEventBodies(source),
    eventsPerRequest: 1,
    rate: phase.rate,
    durationSeconds: phase.durationSeconds,
    maxInFlight: OPEN_MAX_IN_FLIGHT,
    connections: OPEN_CONNECTIONS,
  });
  const backlogAtEnd = await countUnprocessed(context.db, source);
  const drain = await drainAndCheck(context, source, load.acceptedEvents, startedAt);
  return {
    id: phase.id,
    title: phase.title,
    kind: 'product',
    setup: `POST /Ingestion/ingest at a fixed ${phase.rate} requests/s for ${phase.durationSeconds} s (open model, undici, up to ${OPEN_CONNECTIONS} connections), latency measured from each request's due time; API, relay and worker running`,
    acceptedPerSecond: Math.round(load.acceptedEvents / load.durationSeconds),
    load,
    ...drain,
    workerDuringLoad: true,
    ...(await context.finishMeasuring()),
    extra: {
      'target rate (requests/s)': phase.rate,
      'sent rate (requests/s)': Math.round(load.requests / load.durationSeconds),
      'unprocessed events when the load stopped': backlogAtEnd,
    },
  };
}
