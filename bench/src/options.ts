/** Sizes and durations of one benchmark run. Durations are in seconds. */
export interface BenchOptions {
  readonly quick: boolean;
  /** Free text added to the report, for example what else ran on the machine. */
  readonly note: string | undefined;
  /** Length of each closed-model phase (HTTP ceiling, baseline, single-event POSTs, batch POSTs at most). */
  readonly closedSeconds: number;
  /** Length of each database-ceiling phase. */
  readonly databaseSeconds: number;
  /** Length of the open-model phase at half the maximum rate. */
  readonly openSeconds: number;
  /** Length of the overload phase at twice the maximum rate. */
  readonly overloadSeconds: number;
  /** Connections of the closed-model load generator. */
  readonly connections: number;
  /** Events sent through the batch endpoint, then drained by the worker as one backlog. */
  readonly backlogEvents: number;
  /** Events in one batch POST. */
  readonly eventsPerBatch: number;
  /** Rounds of the 50-concurrent burst. */
  readonly burstRounds: number;
  /** Time the pipeline may take to process every accepted event after a phase. */
  readonly drainTimeoutSeconds: number;
}

const FULL: Omit<BenchOptions, 'quick' | 'note'> = {
  closedSeconds: 20,
  databaseSeconds: 10,
  openSeconds: 30,
  overloadSeconds: 15,
  connections: 100,
  backlogEvents: 1_000_000,
  eventsPerBatch: 100,
  burstRounds: 20,
  drainTimeoutSeconds: 300,
};

const QUICK: Omit<BenchOptions, 'quick' | 'note'> = {
  closedSeconds: 4,
  databaseSeconds: 3,
  openSeconds: 6,
  overloadSeconds: 4,
  connections: 100,
  backlogEvents: 20_000,
  eventsPerBatch: 100,
  burstRounds: 3,
  drainTimeoutSeconds: 120,
};

const USAGE = 'usage: npm run bench [-- --quick] [-- --note "text for the report"]';

/** Reads the command-line arguments; throws with the usage on an unknown one. */
export function parseOptions(args: readonly string[]): BenchOptions {
  let quick = false;
  let note: string | undefined;
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index];
    if (arg === '--quick') quick = true;
    else if (arg === '--note' && args[index + 1] !== undefined) note = args[++index];
    else throw new Error(`Unknown argument ${arg}; ${USAGE}`);
  }
  return { quick, note, ...(quick ? QUICK : FULL) };
}
