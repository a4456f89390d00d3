import type { LoadResult } from './load/latency-recorder.js';
import type { ExactlyOnceResult } from './verify/exactly-once.js';
import type { ProcessingStats } from './verify/processing-stats.js';

/** A ceiling of the machine, the naive baseline, or the product itself. */
export type PhaseKind = 'ceiling' | 'baseline' | 'product';

/** Memory and CPU used during one phase. */
export interface ResourceUse {
  /** Peak resident set size of each process during the phase, in MiB. */
  readonly peakRssMiB: Readonly<Record<string, number>>;
  /** CPU time (user + system) of each process during the phase, in seconds. */
  readonly cpuSeconds: Readonly<Record<string, number>>;
  /** Share of the machine's CPU time that was busy during the phase, all processes of every user included. */
  readonly machineBusyPercent: number;
  /** Length of the phase, drain included, in seconds. */
  readonly wallSeconds: number;
}

/** Everything measured in one phase of the run. */
export interface PhaseResult extends ResourceUse {
  readonly id: string;
  readonly title: string;
  readonly kind: PhaseKind;
  /** One-sentence description of what ran and how it was driven. */
  readonly setup: string;
  /** Events (for the database ceiling: event plus outbox rows) accepted per second. */
  readonly acceptedPerSecond: number;
  readonly load?: LoadResult;
  readonly processing?: ProcessingStats;
  /** Whether the worker ran during the load; if not, end-to-end latency only shows how long the backlog waited. */
  readonly workerDuringLoad: boolean;
  readonly exactlyOnce?: ExactlyOnceResult;
  /** Further measurements of the phase, each with its unit in the name. */
  readonly extra: Readonly<Record<string, number>>;
}
