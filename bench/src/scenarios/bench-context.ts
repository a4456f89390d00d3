import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { createIsolatedEnvironment, type IsolatedEnvironment } from '@ingestion/core/testing';
import pg from 'pg';

import type { BenchOptions } from '../options.js';
import { BrokerProbe } from '../processes/broker-probe.js';
import type { BenchProcess } from '../processes/child-process.js';
import type { HttpProcess } from '../processes/http-process.js';
import { startApi, startWorker } from '../processes/product.js';
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

  private constructor(options: BenchOptions, environment: IsolatedEnvironment, broker: BrokerProbe, logDirectory: string) {
    this.options = options;
    this.environment = environment;
    this.broker = broker;
    this.logDirectory = logDirectory;
    this.pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 4 });
    // An idle connection that dies (PostgreSQL restarted) is replaced on the next query; without a listener it would end the run.
    this.pool.on('error', () => undefined);
    this.db = retryingDatabase(this.pool);
    this.productEnv = { ...environment.env, LOG_LEVEL: 'error' };
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

  /** Starts a new peak for every process, so that the next readPeaks() covers one phase. */
  async resetPeaks(): Promise<void> {
    await this.readPeaks();
  }

  /** Peak RSS of each running process since the last reset, in MiB. */
  async readPeaks(extra: readonly BenchProcess[] = []): Promise<Record<string, number>> {
    const peaks: Record<string, number> = { 'load generator': await this.generatorSampler.takePeakMiB() };
    for (const child of [this.api?.process, this.worker, ...extra]) {
      if (child !== undefined) peaks[child.name] = await child.takePeakRssMiB();
    }
    return peaks;
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
