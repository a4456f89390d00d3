import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import { startLoad, type RunningLoad } from '@ingestion/core/testing';

import { Cluster, type ClusterShape } from './cluster.js';
import { planEvents, type PlannedEvent } from './planned-events.js';
import type { ProductProcess } from './processes.js';
import { assertGuarantees, inspect, printReport } from './verify.js';

/** What a fault did, for the report, and the processes it killed on purpose and did not restart. */
export interface FaultOutcome {
  readonly did: string[];
  readonly killed?: readonly ProductProcess[];
  readonly extra?: Record<string, unknown>;
}

export interface ScenarioOptions {
  readonly label: string;
  readonly shape: ClusterShape;
  /** Distinct events to send; `copies` requests are sent for each. */
  readonly events: number;
  readonly copies?: number;
  readonly ratePerSecond: number;
  readonly concurrency: number;
  /** Runs while the load runs: injects the fault and reports what it did. */
  fault(cluster: Cluster, load: RunningLoad): Promise<FaultOutcome>;
}

/** A client waits this long for a response before the request counts as hung, in milliseconds. */
const REQUEST_TIMEOUT_MS = 20_000;

/**
 * Starts the processes, runs the load with the fault injected in its middle, waits for the pipeline
 * to settle, prints the report and checks the guarantees. Processes and data are removed afterwards;
 * their log files stay, and their folder is printed when the scenario fails.
 */
export async function runScenario(options: ScenarioOptions): Promise<void> {
  const cluster = await Cluster.start(options.label, options.shape);
  try {
    const planned = planEvents(`${options.label}-${randomBytes(3).toString('hex')}`, options.events);
    const sent: PlannedEvent[] = planned.flatMap((event) => Array.from({ length: options.copies ?? 1 }, () => event));
    const load = startLoad({
      targets: () => cluster.targets(),
      events: sent,
      ratePerSecond: options.ratePerSecond,
      concurrency: options.concurrency,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      giveUpAfterMs: 120_000,
    });
    let outcome: FaultOutcome;
    try {
      outcome = await options.fault(cluster, load);
    } finally {
      await load.finished;
    }
    const report = await load.finished;
    const findings = await inspect(cluster, planned, report);
    const exited = cluster.exited(outcome.killed).map((product) => `${product.name} (exit code ${product.exitCode})`);
    printReport(options.label, outcome.did, report, findings, { ...outcome.extra, processesExitedUnexpectedly: exited });

    assertGuarantees(report, findings, options.events);
    assert.deepEqual(report.idMismatches, [], 'a resent event was answered with another id');
    assert.deepEqual(exited, [], 'processes exited on their own');
  } catch (error) {
    console.log(`process logs of ${options.label}: ${cluster.logDirectory}`);
    throw error;
  } finally {
    await cluster.close();
  }
}
