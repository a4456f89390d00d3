import { runClosedLoad } from '../load/closed-load.js';
import { singleEventBodies } from '../load/event-bodies.js';
import type { PhaseKind, PhaseResult } from '../phase-result.js';
import type { HttpProcess } from '../processes/http-process.js';
import type { BenchContext } from './bench-context.js';

export interface ServerPhase {
  readonly id: string;
  readonly title: string;
  readonly kind: PhaseKind;
  /** Description of the server's work per request; the load generator's settings are appended. */
  readonly serverSetup: string;
  readonly source: string;
}

/** Drives a server that is not the product with single-event POSTs at the maximum rate (closed model). */
export async function measureServer(context: BenchContext, server: HttpProcess, phase: ServerPhase): Promise<PhaseResult> {
  const { connections, closedSeconds } = context.options;
  const load = await runClosedLoad({
    url: `${server.baseUrl}/Ingestion/ingest`,
    bodies: singleEventBodies(phase.source),
    eventsPerRequest: 1,
    connections,
    durationSeconds: closedSeconds,
  });
  return {
    id: phase.id,
    title: phase.title,
    kind: phase.kind,
    setup: `${phase.serverSetup}; autocannon, ${connections} connections, ${closedSeconds} s`,
    acceptedPerSecond: Math.round(load.acceptedEvents / load.durationSeconds),
    load,
    workerDuringLoad: false,
    ...(await context.finishMeasuring([server.process])),
    extra: {},
  };
}
