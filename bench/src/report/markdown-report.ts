import type { MachineInfo } from '../machine.js';
import type { PhaseResult } from '../phase-result.js';
import { lineChart } from './mermaid-chart.js';
import { format, rateRatio, type TargetResult } from './targets.js';

/** Everything one run produced; written as JSON and rendered as Markdown. */
export interface BenchRun {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly mode: 'quick' | 'full';
  readonly note: string | undefined;
  readonly machine: MachineInfo;
  readonly phases: readonly PhaseResult[];
  readonly targets: readonly TargetResult[];
  /** False when any phase lost an event or processed one twice. */
  readonly exactlyOncePassed: boolean;
}

const dash = '–';

function cell(value: number | undefined, suffix = ''): string {
  return value === undefined ? dash : `${format(value)}${suffix}`;
}

function verdict(met: boolean | undefined): string {
  if (met === undefined) return 'not measured';
  return met ? 'met' : 'missed';
}

function machineSection(run: BenchRun): string[] {
  const { machine } = run;
  return [
    '## Machine',
    '',
    '| | |',
    '|---|---|',
    `| CPUs (nproc) | ${machine.cpus} × ${machine.cpuModel} |`,
    `| memory | ${machine.memoryGiB} GiB |`,
    `| kernel | ${machine.kernel} |`,
    `| Node.js | ${machine.node} |`,
    `| PostgreSQL | ${machine.postgres} |`,
    `| RabbitMQ | ${machine.rabbitmq} |`,
    `| load generators | ${machine.loadGenerators}, in the benchmark's own process |`,
    `| 1-minute load average at start | ${machine.loadAverageAtStart} |`,
    '',
    'PostgreSQL, RabbitMQ, the load generator and every process under test share these CPUs.',
    '',
  ];
}

function targetSection(run: BenchRun): string[] {
  return [
    '## Targets',
    '',
    '| target | measured | result | measured ÷ target |',
    '|---|---|---|---|',
    ...run.targets.map((target) => `| ${target.target} | ${target.measured} | ${verdict(target.met)} | ${cell(target.ratio)} |`),
    '',
  ];
}

function summarySection(run: BenchRun): string[] {
  const processes = [...new Set(run.phases.flatMap((phase) => Object.keys(phase.peakRssMiB)))];
  return [
    '## Results',
    '',
    'Request latency is in milliseconds. End-to-end latency runs from the commit that accepted an event to the commit that',
    'recorded it processed, both read from PostgreSQL; it is shown only where the worker ran during the load.',
    '',
    `| phase | accepted/s | request p50 | p99 | max | end-to-end p50 | p99 | processed/s | exactly once | ${processes.map((name) => `peak RSS ${name} (MiB)`).join(' | ')} |`,
    `|---|---|---|---|---|---|---|---|---|${processes.map(() => '---').join('|')}|`,
    ...run.phases.map((phase) => {
      const latency = phase.load?.latency;
      const endToEnd = phase.workerDuringLoad ? phase.processing?.endToEnd : undefined;
      let once = dash;
      if (phase.exactlyOnce !== undefined) once = phase.exactlyOnce.passed ? 'yes' : '**NO**';
      const rss = processes.map((name) => cell(phase.peakRssMiB[name]));
      return `| ${phase.title} | ${format(phase.acceptedPerSecond)} | ${cell(latency?.p50)} | ${cell(latency?.p99)} | ${cell(latency?.max)} | ${cell(endToEnd?.p50)} | ${cell(endToEnd?.p99)} | ${cell(phase.processing?.processedPerSecond)} | ${once} | ${rss.join(' | ')} |`;
    }),
    '',
  ];
}

function cpuSection(run: BenchRun): string[] {
  const processes = [...new Set(run.phases.flatMap((phase) => Object.keys(phase.cpuSeconds)))];
  return [
    '## CPU use',
    '',
    `CPU seconds of each process over the phase, drain included, and the busy share of the whole machine, which has ${run.machine.cpus} CPUs,`,
    'so a phase of length L had L × CPUs seconds to give. Busy time not listed here went to other work on the machine.',
    'Near 100% busy means the phase was bound by CPU rather than by one component.',
    '',
    `| phase | length (s) | machine busy | ${processes.map((name) => `${name} CPU s`).join(' | ')} |`,
    `|---|---|---|${processes.map(() => '---').join('|')}|`,
    ...run.phases.map(
      (phase) => `| ${phase.title} | ${format(phase.wallSeconds)} | ${phase.machineBusyPercent}% | ${processes.map((name) => cell(phase.cpuSeconds[name])).join(' | ')} |`,
    ),
    '',
  ];
}

function ratioSection(run: BenchRun): string[] {
  const rate = (id: string) => run.phases.find((phase) => phase.id === id)?.acceptedPerSecond;
  const http = rate('ceiling-http');
  const single = rate('ceiling-db-single');
  const batch = rate('ceiling-db-batch');
  const naive = rate('baseline-naive');
  return [
    '## Ratios of accepted events/s',
    '',
    '| phase | ÷ HTTP ceiling | ÷ database ceiling, 1 per transaction | ÷ database ceiling, 100 per transaction | ÷ naive baseline |',
    '|---|---|---|---|---|',
    ...run.phases
      .filter((phase) => phase.kind !== 'ceiling')
      .map(
        (phase) =>
          `| ${phase.title} | ${cell(rateRatio(phase.acceptedPerSecond, http))} | ${cell(rateRatio(phase.acceptedPerSecond, single))} | ${cell(rateRatio(phase.acceptedPerSecond, batch))} | ${cell(rateRatio(phase.acceptedPerSecond, naive))} |`,
      ),
    '',
    'The HTTP ceiling counts requests; phases with batch POSTs count events, so their ratio to it compares events with requests.',
    '',
  ];
}

function phaseSection(phase: PhaseResult): string[] {
  const lines = [`### ${phase.title}`, '', phase.setup + '.', ''];
  const extras = Object.entries(phase.extra).map(([name, value]) => `- ${name}: ${format(value)}`);
  if (phase.load !== undefined) {
    const rejected = Object.entries(phase.load.rejected).map(([status, count]) => `${format(count)} × ${status}`);
    extras.push(`- requests: ${format(phase.load.requests)}, accepted ${format(phase.load.acceptedRequests)}${rejected.length > 0 ? `, answered ${rejected.join(', ')}` : ''}, failed without answer ${format(phase.load.errors)}`);
  }
  if (phase.exactlyOnce !== undefined) {
    const check = phase.exactlyOnce;
    extras.push(
      `- exactly-once check: ${format(check.accepted)} accepted, ${format(check.stored)} stored, ${format(check.processed)} processed, ${format(check.notExactlyOnce)} not processed exactly once; ${format(check.orders)} order.created events, ${format(check.ordersWithoutEffect)} without and ${format(check.ordersWithDuplicateEffect)} with a duplicate effect row`,
    );
  }
  lines.push(...extras, '');
  if (phase.load !== undefined && phase.load.timeline.length > 1) {
    const processed: number[] = [];
    for (const point of phase.processing?.timeline ?? []) if (point.second >= 0) processed[point.second] = point.processedEvents;
    const series = [{ name: 'accepted events/s', values: phase.load.timeline.map((point) => point.acceptedEvents) }];
    if (phase.workerDuringLoad) series.push({ name: 'processed events/s', values: Array.from(processed.slice(0, phase.load.timeline.length + 5), (value) => value ?? 0) });
    lines.push(lineChart(`${phase.id} throughput`, 'events/s', series), '');
    lines.push(
      lineChart(`${phase.id} request latency`, 'ms', [
        { name: 'p50', values: phase.load.timeline.map((point) => point.latency.p50) },
        { name: 'p99', values: phase.load.timeline.map((point) => point.latency.p99) },
      ]),
      '',
    );
  }
  return lines;
}

const METHOD = [
  '## Method',
  '',
  '- Every phase runs in one run against one isolated database and RabbitMQ prefix, with the product started from its built entry points and default settings, except that API key authentication is off (AUTH_DISABLED=true).',
  '- Closed model (autocannon): each connection sends its next request when the previous one is answered; it finds the maximum rate, and its latencies hide queueing.',
  '- Open model (undici): requests are due at a fixed rate whatever the server does, and each latency runs from the due time, so a stalled server shows up as latency (no coordinated omission). The generator opens its connections before the clock starts.',
  '- One event in 20 is an `order.created`, whose handler writes one `example_orders` row per run. A phase passes the exactly-once check when every accepted event is stored and processed with one handler attempt, and every `order.created` event has exactly one row.',
  '- Peak RSS is sampled from /proc every 200 ms; the load generator runs in the benchmark process.',
  '',
];

/** Renders a run as a Markdown report with tables and Mermaid charts. */
export function renderMarkdown(run: BenchRun): string {
  const lines = [
    `# Benchmark report (${run.mode} run)`,
    '',
    `Run from ${run.startedAt} to ${run.finishedAt} with \`npm run bench${run.mode === 'quick' ? ' -- --quick' : ''}\`.`,
    '',
    ...(run.note === undefined ? [] : [run.note, '']),
    ...machineSection(run),
    ...targetSection(run),
    ...summarySection(run),
    ...ratioSection(run),
    ...cpuSection(run),
    '## Phases',
    '',
    ...run.phases.flatMap(phaseSection),
    ...METHOD,
  ];
  return lines.join('\n');
}
