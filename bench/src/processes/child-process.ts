import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';

import { RssSampler } from './rss-sampler.js';

/** Time a child may take to exit after SIGTERM before it gets SIGKILL, in milliseconds. */
const STOP_TIMEOUT_MS = 30_000;

/** A Node.js process started by the benchmark, with its memory sampled. */
export class BenchProcess {
  readonly name: string;
  private readonly child: ChildProcess;
  private readonly sampler: RssSampler;
  private readonly exited: Promise<unknown>;

  private constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.child = child;
    this.sampler = new RssSampler(child.pid!);
    this.exited = once(child, 'exit');
  }

  /**
   * Starts `node [nodeArguments] script` with the given environment added to this process's own; its
   * output goes to `logPath`.
   */
  static start(name: string, script: string, env: Record<string, string>, logPath: string, nodeArguments: readonly string[] = []): BenchProcess {
    const log = openSync(logPath, 'a');
    try {
      const child = spawn(process.execPath, [...nodeArguments, script], { env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
      if (child.pid === undefined) throw new Error(`Could not start ${name} (${script}); see ${logPath}`);
      return new BenchProcess(name, child);
    } finally {
      closeSync(log);
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  takePeakRssMiB(): Promise<number> {
    return this.sampler.takePeakMiB();
  }

  /** Sends SIGTERM, waits for a graceful exit, and sends SIGKILL after STOP_TIMEOUT_MS. */
  async stop(): Promise<void> {
    this.sampler.stop();
    if (!this.isRunning) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }
}
