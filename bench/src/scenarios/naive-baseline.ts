import { phaseSource } from '../load/event-bodies.js';
import type { PhaseResult } from '../phase-result.js';
import { startHttpProcess } from '../processes/http-process.js';
import type { BenchContext } from './bench-context.js';
import { measureServer } from './server-phase.js';

const SERVER_SCRIPT = new URL('../baseline/naive-server.js', import.meta.url);

/** The naive baseline: insert, then publish and await the confirm, per request. Its rows and queue are removed afterwards. */
export async function measureNaiveBaseline(context: BenchContext): Promise<PhaseResult> {
  const source = phaseSource('naive');
  const queue = `${context.environment.prefix}.naive`;
  await context.startMeasuring();
  const server = await startHttpProcess(
    'naive server',
    SERVER_SCRIPT,
    { DATABASE_URL: context.environment.databaseUrl, RABBITMQ_URL: context.environment.rabbitmqUrl, NAIVE_QUEUE: queue },
    '/ready',
    context.logPath('naive-baseline'),
  );
  try {
    return await measureServer(context, server, {
      id: 'baseline-naive',
      title: 'Naive baseline',
      kind: 'baseline',
      serverSetup: 'node:http server; per request INSERT the event, publish it to a quorum queue and await its confirm',
      source,
    });
  } finally {
    await server.process.stop();
    await context.broker.deleteQueue(queue);
    await context.db.query('DELETE FROM events WHERE source = $1', [source]);
  }
}
