import { runClosedLoad } from '../load/closed-load.js';
import { phaseSource, singleEventBodies } from '../load/event-bodies.js';
import type { PhaseResult } from '../phase-result.js';
import { startHttpProcess } from '../processes/http-process.js';
import type { BenchContext } from './bench-context.js';

const SERVER_SCRIPT = new URL('../ceilings/http-ceiling-server.js', import.meta.url);

/** The HTTP ceiling: the same requests and load generator against a bare node:http server. */
export async function measureHttpCeiling(context: BenchContext): Promise<PhaseResult> {
  const { connections, closedSeconds } = context.options;
  await context.resetPeaks();
  const server = await startHttpProcess('node:http server', SERVER_SCRIPT, {}, '/ready', context.logPath('http-ceiling'));
  try {
    const load = await runClosedLoad({
      url: `${server.baseUrl}/Ingestion/ingest`,
      bodies: singleEventBodies(phaseSource('ceiling-http')),
      eventsPerRequest: 1,
      connections,
      durationSeconds: closedSeconds,
    });
    return {
      id: 'ceiling-http',
      title: 'HTTP ceiling',
      kind: 'ceiling',
      setup: `bare node:http server answering 202 after parsing the JSON body; autocannon, ${connections} connections, ${closedSeconds} s`,
      acceptedPerSecond: Math.round(load.acceptedEvents / load.durationSeconds),
      load,
      peakRssMiB: await context.readPeaks([server.process]),
      workerDuringLoad: false,
      extra: {},
    };
  } finally {
    await server.process.stop();
  }
}
