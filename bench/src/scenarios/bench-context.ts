import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { createIsolatedEnvironment, type IsolatedEnvironment } from '@ingestion/core/testing';
import pg from 'pg';

import type { BenchOptions } from '../options.js';
import type { ResourceUse } from '../phase-result.js';
import { BrokerProbe } from '../processes/broker-probe.js';
import type { BenchProcess } from '../processes/child-process.js';
import type { HttpProcess } from '../processes/http-process.js';
import { startApi, startWorker } from '../processes/product.js';
import { machineCpuTicks, processCpuSeconds, serverCpuSeconds } from '../processes/cpu-meter.js';
import { RssSampler } from '../processes/rss-sampler.js';
import { retryingDatabase, type Database } from '../resilience/retry-on-outage.js';

/**
 * State shared by the phases: an isolated database and RabbitMQ prefix, connections to read them, and
 * the product's processes, started when a phase first needs them.
 */
export class BenchContext {
  readonly options: BenchOptions;
  readonly environment: IsolatedEnvironment;
  /** The isolated database, with each query retried while PostgreSQL is unreachable. */
  readonly db: Database;
  private readonly pool: pg.Pool;
  readonly broker: BrokerProbe;
  readonly logDirectory: string;
  /** Environment of the product's processes. */
  readonly productEnv: Record<string, string>;
  private readonly generatorSampler = new RssSampler(process.pid);
  private api: HttpProcess | undefined;
  private worker: BenchProcess | undefined;
  private cpuAtStart = new Map<string, number>();
  private machineAtStart = { busy: 0, total: 0 };
  private measuringSince = performance.now();

  private constructor(options: BenchOptions, environment: IsolatedEnvironment, broker: BrokerProbe, logDirectory: string) {
    this.options = options;
    this.environment = environment;
    this.broker = broker;
    this.logDirectory = logDirectory;
    this.pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 4 });
    // An idle connection that dies (PostgreSQL restarted) is replaced on the next query; without a listener it would end the run.
    this.pool.on('error', () => undefined);
    this.db = retryingDatabase(this.pool);
    // Authentication is off, so the requests carry no API key and meet no per-key rate limit; the
    // worker's HTTP server takes a free port, so that the run does not clash with a worker already running.
    this.productEnv = { ...environment.env, LOG_LEVEL: 'error', AUTH_DISABLED: 'true', WORKER_HTTP_PORT: '0' };
  }

  static async create(options: BenchOptions, logDirectory: string): Promise<BenchContext> {
    await mkdir(logDirectory, { recursive: true });
    const environment = await createIsolatedEnvironment('bench');
    try {
      return new BenchContext(options, environment, await BrokerProbe.open(environment.rabbitmqUrl), logDirectory);
    } catch (error) {
      await environment.cleanup();
      throw error;
    }
  }

  /** Base URL of the running API, started with its relay on first use. */
  async apiUrl(): Promise<string> {
    this.api ??= await startApi(this.productEnv, this.logDirectory);
    return this.api.baseUrl;
  }

  async startWorker(): Promise<void> {
    this.worker ??= await startWorker(this.productEnv, this.logDirectory, this.broker, this.environment.names.processQueue);
  }

  async stopWorker(): Promise<void> {
    await this.worker?.stop();
    this.worker = undefined;
  }

  /** Starts measuring a phase: new memory peaks, and CPU counters from now. */
  async startMeasuring(): Promise<void> {
    await this.finishMeasuring();
    this.cpuAtStart = new Map();
    for (const [name, pid] of this.processIds()) this.cpuAtStart.set(name, await processCpuSeconds(pid));
    for (const [name, seconds] of Object.entries(await serverCpuSeconds())) this.cpuAtStart.set(name, seconds);
    this.machineAtStart = await machineCpuTicks();
    this.measuringSince = performance.now();
  }

  /**
   * Reads the resource use of the product's processes and of `extra` ones since startMeasuring().
   * A process started during the phase counts from its start.
   */
  async finishMeasuring(extra: readonly BenchProcess[] = []): Promise<ResourceUse> {
    const peakRssMiB: Record<string, number> = { 'load generator': await this.generatorSampler.takePeakMiB() };
    for (const child of [this.api?.process, this.worker, ...extra]) {
      if (child !== undefined) peakRssMiB[child.name] = await child.takePeakRssMiB();
    }
    const cpuSeconds: Record<string, number> = {};
    for (const [name, pid] of this.processIds(extra)) {
      cpuSeconds[name] = Math.round(((await processCpuSeconds(pid)) - (this.cpuAtStart.get(name) ?? 0)) * 10) / 10;
    }
    for (const [name, seconds] of Object.entries(await serverCpuSeconds())) {
      cpuSeconds[name] = Math.max(0, Math.round((seconds - (this.cpuAtStart.get(name) ?? seconds)) * 10) / 10);
    }
    const machine = await machineCpuTicks();
    const machineBusyPercent = Math.round((100 * (machine.busy - this.machineAtStart.busy)) / Math.max(1, machine.total - this.machineAtStart.total));
    const wallSeconds = Math.round((performance.now() - this.measuringSince) / 100) / 10;
    return { peakRssMiB, cpuSeconds, machineBusyPercent, wallSeconds };
  }

  private processIds(extra: readonly BenchProcess[] = []): [string, number][] {
    const ids: [string, number][] = [['load generator', process.pid]];
    for (const child of [this.api?.process, this.worker, ...extra]) if (child !== undefined) ids.push([child.name, child.pid]);
    return ids;
  }

  /** Time limit for the pipeline to process a phase's events, in milliseconds. */
  get drainTimeoutMs(): number {
    return this.options.drainTimeoutSeconds * 1000;
  }

  /** Stops every process and drops the database and queues. */
  async close(): Promise<void> {
    this.generatorSampler.stop();
    await this.worker?.stop();
    await this.api?.process.stop();
    await this.pool.end();
    await this.broker.close();
    await this.environment.cleanup();
  }

  logPath(name: string): string {
    return join(this.logDirectory, `${name}.log`);
  }
}
