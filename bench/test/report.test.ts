import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { LatencyRecorder, summarize } from '../src/load/latency-recorder.js';
import type { PhaseResult } from '../src/phase-result.js';
import { lineChart } from '../src/report/mermaid-chart.js';
import { evaluateTargets } from '../src/report/targets.js';

function phase(id: string, overrides: Partial<PhaseResult> = {}): PhaseResult {
  return { id, title: id, kind: 'product', setup: '', acceptedPerSecond: 0, workerDuringLoad: true, peakRssMiB: {}, cpuSeconds: {}, machineBusyPercent: 0, wallSeconds: 0, extra: {}, ...overrides };
}

const SINGLE_SUSTAINED = '15,000 events/s processed with a flat backlog (single-event POSTs)';
const BATCH_SUSTAINED = '15,000 events/s processed with a flat backlog (batch POSTs of 100)';

/** Builds a fixed-rate phase at 15,000 events/s that processed `processedPerSecond` and left `backlog` events unprocessed. */
function sustainedPhase(id: string, processedPerSecond: number, backlog: number): PhaseResult {
  return phase(id, {
    processing: { processed: processedPerSecond * 30, processedPerSecond, endToEnd: { p50: 0, p99: 0, max: 0 }, timeline: [] },
    extra: { 'arrival rate (events/s)': 15_000, 'unprocessed events when the load stopped': backlog },
  });
}

function findTarget(phases: readonly PhaseResult[], name: string) {
  const target = evaluateTargets(phases).find((candidate) => candidate.target === name);
  assert.ok(target, `no target row named ${name}`);
  return target;
}

describe('latency summary', () => {
  it('takes exact percentiles', () => {
    const latencies = Array.from({ length: 1000 }, (_, index) => index + 1);

    const summary = summarize(latencies);

    assert.equal(summary.p50, 501);
    assert.equal(summary.p99, 991);
    assert.equal(summary.max, 1000);
  });

  it('returns zeros for no requests', () => {
    assert.deepEqual(summarize([]), { p50: 0, p99: 0, max: 0 });
  });

  it('counts only 202 responses as accepted', () => {
    const recorder = new LatencyRecorder(100);
    recorder.record(202, 5);
    recorder.record(503, 1);
    recorder.recordError();

    const result = recorder.finish();

    assert.equal(result.requests, 3);
    assert.equal(result.acceptedEvents, 100);
    assert.deepEqual(result.rejected, { 503: 1 });
    assert.equal(result.errors, 1);
  });
});

describe('targets', () => {
  it('compares single-event rate with the ceiling', () => {
    const targets = evaluateTargets([phase('ceiling-http', { kind: 'ceiling', acceptedPerSecond: 40_000 }), phase('product-single', { acceptedPerSecond: 10_000 })]);

    const ceiling = targets.find((target) => target.target.includes('HTTP ceiling'))!;
    assert.equal(ceiling.met, false);
    assert.equal(ceiling.ratio, 0.5);
  });

  it('reports phases that did not run as not measured', () => {
    const targets = evaluateTargets([]);

    const drain = targets.find((target) => target.target.startsWith('backlog drains'))!;
    assert.equal(drain.met, undefined);
  });

  it('reports both sustained rows as not measured', () => {
    assert.equal(findTarget([], SINGLE_SUSTAINED).met, undefined);
    assert.equal(findTarget([], BATCH_SUSTAINED).met, undefined);
  });

  it('meets sustained single-event target with flat backlog', () => {
    const target = findTarget([sustainedPhase('product-sustained', 15_300, 14_999)], SINGLE_SUSTAINED);

    assert.equal(target.met, true);
    assert.equal(target.ratio, 1.02);
    assert.equal(target.measured, '15,300 events/s processed, 14,999 unprocessed at the end');
  });

  it('meets sustained batch target with flat backlog', () => {
    const phases = [sustainedPhase('product-sustained-batch', 15_300, 14_999)];

    const batch = findTarget(phases, BATCH_SUSTAINED);

    assert.equal(batch.met, true);
    assert.equal(batch.ratio, 1.02);
    assert.equal(batch.measured, '15,300 events/s processed, 14,999 unprocessed at the end');
    assert.equal(findTarget(phases, SINGLE_SUSTAINED).met, undefined);
  });

  it('misses sustained batch target on growing backlog', () => {
    const target = findTarget([sustainedPhase('product-sustained-batch', 15_300, 15_000)], BATCH_SUSTAINED);

    assert.equal(target.met, false);
  });

  it('misses sustained batch target below rate', () => {
    const target = findTarget([sustainedPhase('product-sustained-batch', 14_000, 0)], BATCH_SUSTAINED);

    assert.equal(target.met, false);
    assert.equal(target.ratio, 0.93);
  });

  it('fails the exactly-once target on one failed check', () => {
    const check = { accepted: 1, stored: 1, processed: 0, notExactlyOnce: 1, orders: 0, ordersWithoutEffect: 0, ordersWithDuplicateEffect: 0, passed: false };

    const targets = evaluateTargets([phase('product-burst', { exactlyOnce: check })]);

    assert.equal(targets.at(-1)!.met, false);
  });
});

describe('Mermaid line chart', () => {
  it('pads shorter series with zeros', () => {
    const chart = lineChart('t', 'events/s', [
      { name: 'a', values: [1, 2, 3] },
      { name: 'b', values: [4] },
    ]);

    assert.match(chart, /x-axis "seconds" \[0, 1, 2\]/);
    assert.match(chart, /line \[1, 2, 3\]/);
    assert.match(chart, /line \[4, 0, 0\]/);
  });
});
