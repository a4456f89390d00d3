import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { waitFor } from '@ingestion/core/testing';

/** Root of the repository, from tests/chaos/dist/src/support/. */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));

const ENTRY_POINTS = {
  api: 'apps/ingestion-api/dist/src/main.js',
  worker: 'apps/processor-worker/dist/src/main.js',
} as const;

export type ProcessKind = keyof typeof ENTRY_POINTS;

/**
 * One API or worker process of the product, started with `node` on its compiled entry point. Its
 * JSON log lines go to a file and are kept in memory, so a scenario can wait for a log message.
 */
export class ProductProcess {
  readonly name: string;
  readonly kind: ProcessKind;
  /** Port of an API process; 0 for a worker. */
  readonly port: number;
  private child: ChildProcess | undefined;
  private exit: Promise<number | null> = Promise.resolve(null);
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
    return this.child?.pid;
  }

  /** True while the process runs; false after it exited for any reason. */
  get isRunning(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Exit code of the last run, or null while it runs or when a signal ended it. */
  get exitCode(): number | null {
    return this.child?.exitCode ?? null;
  }

  /** Starts the process again (after a kill) with the same environment and port. */
  async restart(): Promise<void> {
    const env = { ...process.env, ...this.env, PORT: String(this.port), HOST: '127.0.0.1' };
    const consumingBefore = this.logged('consuming');
    const child = spawn(process.execPath, [ENTRY_POINTS[this.kind]], { cwd: REPOSITORY_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stderr.pipe(this.log, { end: false });
    createInterface({ input: child.stdout }).on('line', (line) => {
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
    if (!this.isRunning) return;
    this.child!.kill('SIGKILL');
    await this.exit;
  }

  /** Sends SIGTERM and returns the exit code, or null when a signal ended the process. */
  async terminate(): Promise<number | null> {
    if (!this.isRunning) return this.exitCode;
    this.child!.kill('SIGTERM');
    return this.exit;
  }

  /** Stops the process for good at the end of a scenario: SIGTERM, then SIGKILL after `graceMs`. */
  async close(graceMs = 10_000): Promise<void> {
    if (this.isRunning) {
      this.child!.kill('SIGTERM');
      const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
      await this.exit;
      clearTimeout(timer);
    }
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

/** Asks the kernel for a free TCP port on the loopback interface. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
