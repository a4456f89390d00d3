import { phaseSource } from '../load/event-bodies.js';
import type { PhaseResult } from '../phase-result.js';
import { startHttpProcess } from '../processes/http-process.js';
import type { BenchContext } from './bench-context.js';
import { measureServer } from './server-phase.js';

const SERVER_SCRIPT = new URL('../ceilings/http-ceiling-server.js', import.meta.url);

/** The HTTP ceiling: the same requests and load generator against a bare node:http server. */
export async function measureHttpCeiling(context: BenchContext): Promise<PhaseResult> {
  await context.startMeasuring();
  const server = await startHttpProcess('node:http server', SERVER_SCRIPT, {}, '/ready', context.logPath('http-ceiling'));
  try {
    return await measureServer(context, server, {
      id: 'ceiling-http',
      title: 'HTTP ceiling',
      kind: 'ceiling',
      serverSetup: 'bare node:http server answering 202 after parsing the JSON body',
      source: phaseSource('ceiling-http'),
    });
  } finally {
    await server.process.stop();
  }
}
