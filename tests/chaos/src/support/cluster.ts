import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { createLogger, createPool } from '@ingestion/core';
import { createIsolatedEnvironment, type IsolatedEnvironment } from '@ingestion/core/testing';
import type pg from 'pg';

import { ProductProcess, type ProcessKind } from './processes.js';

const FLAKY_HANDLER = fileURLToPath(new URL('./flaky-handler.js', import.meta.url));

/**
 * Settings of every process of a scenario: short retry delays and poll intervals so that a scenario
 * settles in seconds, and the flaky handler so that retries happen under the faults too.
 */
const SCENARIO_SETTINGS: Record<string, string> = {
  LOG_LEVEL: 'info',
  WORKER_HANDLER_MODULES: FLAKY_HANDLER,
  WORKER_RETRY_BASE_DELAY_MS: '100',
  WORKER_RETRY_MAX_DELAY_MS: '1000',
  RELAY_POLL_INTERVAL_MS: '200',
  INGEST_COMMIT_TIMEOUT_MS: '3000',
  RELAY_CONFIRM_TIMEOUT_MS: '5000',
  SHUTDOWN_TIMEOUT_MS: '10000',
  // Several workers share this host, so each serves its health and metrics on a free port.
  WORKER_HTTP_PORT: '0',
};

export interface ClusterShape {
  readonly apis: number;
  readonly workers: number;
  /** Extra environment variables for every process. */
  readonly env?: Record<string, string>;
}

/**
 * The API and worker processes of one scenario, on a database and RabbitMQ prefix of their own,
 * with a pool for the scenario's own checks. Process logs go to `logDirectory`.
 */
export class Cluster {
  readonly environment: IsolatedEnvironment;
  readonly apis: ProductProcess[] = [];
  readonly workers: ProductProcess[] = [];
  readonly pool: pg.Pool;
  readonly logDirectory: string;

  private constructor(environment: IsolatedEnvironment, logDirectory: string) {
    this.environment = environment;
    this.logDirectory = logDirectory;
    this.pool = createPool(
      { connectionString: environment.databaseUrl, max: 2, statementTimeoutMs: 10_000, applicationName: 'chaos-check' },
      createLogger('chaos-check', 'silent'),
    );
  }

  static async start(label: string, shape: ClusterShape): Promise<Cluster> {
    const environment = await createIsolatedEnvironment(`chaos_${label}`);
    const cluster = new Cluster(environment, mkdtempSync(join(tmpdir(), `chaos-${label}-`)));
    try {
      for (let index = 0; index < shape.apis; index += 1) cluster.apis.push(await cluster.spawn(`api-${index + 1}`, 'api', shape.env));
      for (let index = 0; index < shape.workers; index += 1) cluster.workers.push(await cluster.spawn(`worker-${index + 1}`, 'worker', shape.env));
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  /** Base URLs of the API processes. */
  targets(): string[] {
    return this.apis.map((api) => api.baseUrl);
  }

  /** Processes that exited without being killed by the scenario. */
  exited(killed: readonly ProductProcess[] = []): ProductProcess[] {
    return [...this.apis, ...this.workers].filter((product) => !product.isRunning && !killed.includes(product));
  }

  /** Stops every process, closes the pool and drops the database and queues. */
  async close(): Promise<void> {
    await Promise.all([...this.apis, ...this.workers].map((product) => product.close()));
    await this.pool.end().catch(() => undefined);
    await this.environment.cleanup();
  }

  private spawn(name: string, kind: ProcessKind, extra: Record<string, string> = {}): Promise<ProductProcess> {
    // The application name lets a scenario find this process's sessions in pg_stat_activity.
    const databaseUrl = new URL(this.environment.databaseUrl);
    databaseUrl.searchParams.set('application_name', `chaos-${name}`);
    const env = { ...this.environment.env, ...SCENARIO_SETTINGS, ...extra, DATABASE_URL: databaseUrl.toString() };
    return ProductProcess.start(name, kind, env, join(this.logDirectory, `${name}.log`));
  }
}
