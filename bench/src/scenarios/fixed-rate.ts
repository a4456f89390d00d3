import { batchBody, phaseSource, singleEventBodies } from '../load/event-bodies.js';
import { runOpenLoad } from '../load/open-load.js';
import type { PhaseResult } from '../phase-result.js';
import { countUnprocessed } from '../verify/pipeline-progress.js';
import type { BenchContext } from './bench-context.js';
import { drainAndCheck } from './pipeline-drain.js';

export interface FixedRatePhase {
  readonly id: string;
  readonly title: string;
  /** Arrival rate, in events per second. */
  readonly eventsPerSecond: number;
  /** Events in each request, 1 by default. Above 1, each request is a batch POST to the batch endpoint. */
  readonly eventsPerRequest?: number;
  readonly durationSeconds: number;
}

/** Connections of the open-model generator. */
const OPEN_CONNECTIONS = 200;

/** Requests in flight above which the generator counts new arrivals as errors. */
const OPEN_MAX_IN_FLIGHT = 10_000;

interface PhaseRequests {
  readonly path: string;
  readonly bodies: string[];
  /** Events in one request, in words for the phase's setup text. */
  readonly content: string;
}

/** Builds single-event POSTs for 1 event per request, and batch POSTs otherwise. */
function buildRequests(source: string, eventsPerRequest: number): PhaseRequests {
  if (eventsPerRequest === 1) return { path: '/Ingestion/ingest', bodies: singleEventBodies(source), content: 'one event per request' };
  return { path: '/Ingestion/ingest/batch', bodies: [batchBody(source, eventsPerRequest)], content: `${eventsPerRequest} events per request` };
}

/**
 * Single-event or batch POSTs arriving at a fixed rate (open model) with the API, the relay and the
 * worker running. The events not yet processed when the load stops show whether the backlog stayed flat.
 */
export async function measureFixedRate(context: BenchContext, phase: FixedRatePhase): Promise<PhaseResult> {
  const source = phaseSource(phase.id);
  const eventsPerRequest = phase.eventsPerRequest ?? 1;
  const requestsPerSecond = phase.eventsPerSecond / eventsPerRequest;
  const { path, bodies, content } = buildRequests(source, eventsPerRequest);
  const url = `${await context.apiUrl()}${path}`;
  await context.startWorker();
  await context.startMeasuring();
  const startedAt = Date.now();
  const load = await runOpenLoad({
    url,
    bodies,
    eventsPerRequest,
    rate: requestsPerSecond,
    durationSeconds: phase.durationSeconds,
    maxInFlight: OPEN_MAX_IN_FLIGHT,
    connections: OPEN_CONNECTIONS,
    warmUpPath: '/health/live',
  });
  const backlogAtEnd = await countUnprocessed(context.db, source);
  const drain = await drainAndCheck(context, source, load.acceptedEvents, startedAt);
  return {
    id: phase.id,
    title: phase.title,
    kind: 'product',
    setup: `POST ${path}, ${content}, at a fixed ${phase.eventsPerSecond} events/s (${requestsPerSecond} requests/s) for ${phase.durationSeconds} s (open model, undici, up to ${OPEN_CONNECTIONS} connections), latency measured from each request's due time; API, relay and worker running`,
    acceptedPerSecond: Math.round(load.acceptedEvents / load.durationSeconds),
    load,
    ...drain,
    workerDuringLoad: true,
    ...(await context.finishMeasuring()),
    extra: {
      'arrival rate (events/s)': phase.eventsPerSecond,
      'sent rate (events/s)': Math.round((load.requests * eventsPerRequest) / load.durationSeconds),
      'unprocessed events when the load stopped': backlogAtEnd,
    },
  };
}
