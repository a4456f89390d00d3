import { readFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';

import type { Database } from './resilience/retry-on-outage.js';

/** The machine and software a run measured. */
export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
  readonly postgres: string;
  readonly rabbitmq: string;
  readonly loadGenerators: string;
  /** 1-minute load average when the run started; above 0.5 means other work was running. */
  readonly loadAverageAtStart: number;
}

async function packageVersion(name: string): Promise<string> {
  const url = new URL(`../../../node_modules/${name}/package.json`, import.meta.url);
  return ((JSON.parse(await readFile(url, 'utf8')) as { version: string }).version);
}

export async function describeMachine(database: Database, rabbitmqVersion: string): Promise<MachineInfo> {
  const postgres = await database.query<{ server_version: string }>('SHOW server_version');
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    node: process.version,
    postgres: postgres.rows[0]!.server_version,
    rabbitmq: rabbitmqVersion,
    loadGenerators: `autocannon ${await packageVersion('autocannon')}, undici ${await packageVersion('undici')}`,
    loadAverageAtStart: Math.round(loadavg()[0]! * 100) / 100,
  };
}
