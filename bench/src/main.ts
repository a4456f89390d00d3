import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describeMachine } from './machine.js';
import { parseOptions, type BenchOptions } from './options.js';
import type { PhaseResult } from './phase-result.js';
import { renderMarkdown, type BenchRun } from './report/markdown-report.js';
import { evaluateTargets, format, SUSTAINED_ARRIVAL_RATE } from './report/targets.js';
import { measureBatchBacklog } from './scenarios/batch-backlog.js';
import { BenchContext } from './scenarios/bench-context.js';
import { measureBurst } from './scenarios/burst.js';
import { measureDatabaseCeilings } from './scenarios/ceiling-database.js';
import { measureHttpCeiling } from './scenarios/ceiling-http.js';
import { measureFixedRate } from './scenarios/fixed-rate.js';
import { measureNaiveBaseline } from './scenarios/naive-baseline.js';
import { measureSingleEvents } from './scenarios/single-events.js';

const RESULTS_DIRECTORY = new URL('../../results/', import.meta.url).pathname;

/** Runs the fixed-rate phases of single-event POSTs of the full run only: 10,000 events/s and the sustained-rate target's arrival rate. */
async function measureTargetRates(context: BenchContext, record: (phase: PhaseResult) => void): Promise<void> {
  const { openSeconds } = context.options;
  record(await measureFixedRate(context, { id: 'product-10k', title: 'Product: fixed rate of 10,000/s', eventsPerSecond: 10_000, durationSeconds: openSeconds }));
  record(
    await measureFixedRate(context, {
      id: 'product-sustained',
      title: `Product: fixed rate of ${format(SUSTAINED_ARRIVAL_RATE)}/s`,
      eventsPerSecond: SUSTAINED_ARRIVAL_RATE,
      durationSeconds: openSeconds,
    }),
  );
}

/** Runs the full run's phase at the sustained-rate target's arrival rate in batch POSTs. */
function measureSustainedBatches(context: BenchContext): Promise<PhaseResult> {
  const { openSeconds, eventsPerBatch } = context.options;
  return measureFixedRate(context, {
    id: 'product-sustained-batch',
    title: `Product: fixed rate of ${format(SUSTAINED_ARRIVAL_RATE)} events/s in batch POSTs of ${eventsPerBatch}`,
    eventsPerSecond: SUSTAINED_ARRIVAL_RATE,
    eventsPerRequest: eventsPerBatch,
    durationSeconds: openSeconds,
  });
}

/** Runs every phase in order; the rates of the open-model phases derive from the measured maximum of single-event POSTs. */
async function runPhases(context: BenchContext, record: (phase: PhaseResult) => void): Promise<void> {
  const { options } = context;
  record(await measureHttpCeiling(context));
  for (const phase of await measureDatabaseCeilings(context)) record(phase);
  record(await measureNaiveBaseline(context));
  const single = await measureSingleEvents(context);
  record(single);
  const maximum = Math.max(100, single.acceptedPerSecond);
  record(
    await measureFixedRate(context, {
      id: 'product-half',
      title: 'Product: fixed rate at half the maximum',
      eventsPerSecond: Math.round(maximum / 2),
      durationSeconds: options.openSeconds,
    }),
  );
  if (!options.quick) await measureTargetRates(context, record);
  record(await measureBurst(context));
  record(
    await measureFixedRate(context, {
      id: 'product-overload',
      title: 'Product: overload at twice the maximum',
      eventsPerSecond: maximum * 2,
      durationSeconds: options.overloadSeconds,
    }),
  );
  // The batch phases come last, because batch bodies grow the API's heap and the backlog leaves a
  // million rows in the tables. Run earlier, both would carry into the phases after them.
  if (!options.quick) record(await measureSustainedBatches(context));
  record(await measureBatchBacklog(context));
}

function describe(phase: PhaseResult): string {
  const parts = [`${phase.id}: ${format(phase.acceptedPerSecond)} accepted/s`];
  if (phase.load !== undefined) parts.push(`p99 ${format(phase.load.latency.p99)} ms`);
  if (phase.processing !== undefined) parts.push(`${format(phase.processing.processedPerSecond)} processed/s`);
  if (phase.exactlyOnce !== undefined) parts.push(phase.exactlyOnce.passed ? 'exactly once' : 'EXACTLY-ONCE CHECK FAILED');
  return parts.join(', ');
}

async function writeRun(run: BenchRun): Promise<string> {
  await mkdir(RESULTS_DIRECTORY, { recursive: true });
  const stem = join(RESULTS_DIRECTORY, `bench-${run.mode}-${run.startedAt.replace(/[:.]/g, '-')}`);
  await writeFile(`${stem}.json`, JSON.stringify(run, null, 2) + '\n');
  await writeFile(`${stem}.md`, renderMarkdown(run));
  return stem;
}

/**
 * Runs the suite and writes bench/results/bench-<mode>-<time>.json and .md. Exits with 1 only when
 * an event was lost or processed twice, or a phase could not run; speed never fails the run.
 */
async function main(options: BenchOptions): Promise<number> {
  const startedAt = new Date().toISOString();
  const context = await BenchContext.create(options, join(RESULTS_DIRECTORY, 'logs', startedAt.replace(/[:.]/g, '-')));
  const phases: PhaseResult[] = [];
  let failure: unknown;
  try {
    const machine = await describeMachine(context.db, context.broker.serverVersion);
    try {
      await runPhases(context, (phase) => {
        phases.push(phase);
        console.log(describe(phase));
      });
    } catch (error) {
      failure = error;
    }
    const run: BenchRun = {
      startedAt,
      finishedAt: new Date().toISOString(),
      mode: options.quick ? 'quick' : 'full',
      note: options.note,
      machine,
      phases,
      targets: evaluateTargets(phases),
      exactlyOncePassed: phases.every((phase) => phase.exactlyOnce?.passed !== false),
    };
    console.log(`report: ${await writeRun(run)}.md`);
    if (failure !== undefined) throw failure;
    if (!run.exactlyOncePassed) {
      console.error('An event was lost or processed more than once; see the exactly-once rows of the report.');
      return 1;
    }
    return 0;
  } finally {
    await context.close();
  }
}

try {
  process.exitCode = await main(parseOptions(process.argv.slice(2)));
} catch (error) {
  console.error(error);
  process.exitCode = 1;
}
