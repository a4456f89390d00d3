import { runBurstLoad } from '../load/burst-load.js';
import { phaseSource, singleEventBodies } from '../load/event-bodies.js';
import type { PhaseResult } from '../phase-result.js';
import type { BenchContext } from './bench-context.js';
import { drainAndCheck } from './pipeline-drain.js';

/** Requests sent at once in each round. */
const BURST_SIZE = 50;

/** The 50-concurrent burst, repeated, with the API, the relay and the worker running. */
export async function measureBurst(context: BenchContext): Promise<PhaseResult> {
  const rounds = context.options.burstRounds;
  const source = phaseSource('burst');
  const url = `${await context.apiUrl()}/Ingestion/ingest`;
  await context.startWorker();
  await context.startMeasuring();
  const startedAt = Date.now();
  const load = await runBurstLoad(url, singleEventBodies(source), BURST_SIZE, rounds);
  const drain = await drainAndCheck(context, source, load.acceptedEvents, startedAt);
  return {
    id: 'product-burst',
    title: `Product: ${BURST_SIZE}-concurrent burst`,
    kind: 'product',
    setup: `${rounds} rounds of ${BURST_SIZE} concurrent single-event POSTs, each round after the previous one was answered; API, relay and worker running`,
    acceptedPerSecond: Math.round(load.acceptedEvents / load.durationSeconds),
    load,
    ...drain,
    workerDuringLoad: true,
    ...(await context.finishMeasuring()),
    extra: {},
  };
}
