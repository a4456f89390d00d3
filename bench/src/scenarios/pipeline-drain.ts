import { checkExactlyOnce, type ExactlyOnceResult } from '../verify/exactly-once.js';
import { waitForProcessed } from '../verify/pipeline-progress.js';
import { readProcessingStats, type ProcessingStats } from '../verify/processing-stats.js';
import type { BenchContext } from './bench-context.js';

export interface DrainOutcome {
  readonly processing: ProcessingStats;
  readonly exactlyOnce: ExactlyOnceResult;
}

/**
 * Starts the worker if it is not running, waits until every stored event of the phase is processed
 * (or the drain timeout passes), then reads the processing statistics and checks exactly-once.
 * `since` is the phase's start in epoch milliseconds.
 */
export async function drainAndCheck(context: BenchContext, source: string, accepted: number, since: number): Promise<DrainOutcome> {
  await context.startWorker();
  const queue = context.environment.names.processQueue;
  await waitForProcessed(context.db, source, context.drainTimeoutMs, async () => (await context.broker.depth(queue)).messages === 0);
  return {
    processing: await readProcessingStats(context.db, source, since),
    exactlyOnce: await checkExactlyOnce(context.db, source, accepted),
  };
}
