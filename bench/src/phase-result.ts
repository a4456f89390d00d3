import type { LoadResult } from './load/latency-recorder.js';
import type { ExactlyOnceResult } from './verify/exactly-once.js';
import type { ProcessingStats } from './verify/processing-stats.js';

/** A ceiling of the machine, the naive baseline, or the product itself. */
export type PhaseKind = 'ceiling' | 'baseline' | 'product';

/** Everything measured in one phase of the run. */
export interface PhaseResult {
  readonly id: string;
  readonly title: string;
  readonly kind: PhaseKind;
  /** What ran and how it was driven, in one sentence. */
  readonly setup: string;
  /** Events (for the database ceiling: event plus outbox rows) accepted per second. */
  readonly acceptedPerSecond: number;
  readonly load?: LoadResult;
  readonly processing?: ProcessingStats;
  /** Whether the worker ran during the load; if not, end-to-end latency only shows how long the backlog waited. */
  readonly workerDuringLoad: boolean;
  readonly exactlyOnce?: ExactlyOnceResult;
  /** Peak resident set size of each process during the phase, in MiB. */
  readonly peakRssMiB: Readonly<Record<string, number>>;
  /** Further measurements of the phase, each with its unit in the name. */
  readonly extra: Readonly<Record<string, number>>;
}
