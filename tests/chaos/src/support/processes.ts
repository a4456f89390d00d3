import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { freePort, startService, waitFor, type ServiceProcess } from '@ingestion/core/testing';

/** Root of the repository, from tests/chaos/dist/src/support/. */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));

const ENTRY_POINTS = {
  api: 'apps/ingestion-api/dist/src/main.js',
  worker: 'apps/processor-worker/dist/src/main.js',
} as const;

export type ProcessKind = keyof typeof ENTRY_POINTS;

/**
 * One API or worker process of the product, started with `node` on its compiled entry point and
 * restartable on the same port. Its log lines go to a file, and their messages are kept, so that a
 * scenario can wait for a log message.
 */
export class ProductProcess {
  readonly name: string;
  readonly kind: ProcessKind;
  /** Port of an API process; 0 for a worker. */
  readonly port: number;
  private service: ServiceProcess | undefined;
  private readonly messages: string[] = [];
  private readonly env: Record<string, string>;
  private readonly log: WriteStream;

  private constructor(name: string, kind: ProcessKind, port: number, env: Record<string, string>, logPath: string) {
    this.name = name;
    this.kind = kind;
    this.port = port;
    this.env = env;
    this.log = createWriteStream(logPath, { flags: 'a' });
  }

  /** Starts the process and waits until it is ready: an API returns 200 on /health/ready, and a worker consumes. */
  static async start(name: string, kind: ProcessKind, env: Record<string, string>, logPath: string): Promise<ProductProcess> {
    const port = kind === 'api' ? await freePort() : 0;
    const product = new ProductProcess(name, kind, port, env, logPath);
    await product.restart();
    return product;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.service?.child.pid;
  }

  /** True while the process runs; false after it exited for any reason. */
  get isRunning(): boolean {
    const child = this.service?.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** Exit code of the last run, or null while it runs or when a signal ended it. */
  get exitCode(): number | null {
    return this.service?.child.exitCode ?? null;
  }

  /** Starts the process again (after a kill) with the same environment and port. */
  async restart(): Promise<void> {
    const consumingBefore = this.logged('consuming');
    const service = startService(join(REPOSITORY_ROOT, ENTRY_POINTS[this.kind]), { ...this.env, PORT: String(this.port), HOST: '127.0.0.1' });
    this.service = service;
    service.child.stderr!.pipe(this.log, { end: false });
    createInterface({ input: service.child.stdout! }).on('line', (line) => {
      this.log.write(`${line}\n`);
      this.messages.push(messageOf(line));
    });
    await waitFor(`${this.name} to start`, () => this.readiness(consumingBefore), 60_000, 100);
  }

  /** Number of log lines with this message since the process was created. */
  logged(message: string): number {
    return this.messages.filter((logged) => logged === message).length;
  }

  /** Sends SIGKILL and waits until the process is gone. */
  async kill(): Promise<void> {
    await this.service?.stop('SIGKILL');
  }

  /** Sends SIGTERM and returns the exit code, or null when a signal ended the process. */
  async terminate(): Promise<number | null> {
    return (await this.service?.stop('SIGTERM')) ?? null;
  }

  /** Stops the process for good at the end of a scenario: SIGTERM, then SIGKILL after `graceMs`. */
  async close(graceMs = 10_000): Promise<void> {
    await this.service?.stop('SIGTERM', graceMs);
    await new Promise<void>((resolve) => this.log.end(resolve));
  }

  private async readiness(consumingBefore: number): Promise<true | undefined> {
    if (!this.isRunning) throw new Error(`${this.name} exited with code ${this.exitCode}; see its log`);
    if (this.kind === 'worker') return this.logged('consuming') > consumingBefore || undefined;
    const response = await fetch(`${this.baseUrl}/health/ready`, { signal: AbortSignal.timeout(2_000) });
    return response.status === 200 || undefined;
  }
}

function messageOf(line: string): string {
  try {
    const record = JSON.parse(line) as { msg?: unknown };
    return typeof record.msg === 'string' ? record.msg : '';
  } catch {
    return '';
  }
}

