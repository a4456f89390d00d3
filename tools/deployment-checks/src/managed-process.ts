import { spawn } from 'node:child_process';

/** Characters of combined stdout and stderr kept per process; older output is dropped. */
const MAX_OUTPUT_CHARS = 200_000;

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface StartOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * A process started by the checks in a process group of its own, so that signals sent to the group's ID
 * reach its children too, such as the npm started by a `sh -c` RUN step.
 */
export class ManagedProcess {
  readonly exited: Promise<ExitStatus>;
  private output = '';
  private exitStatus: ExitStatus | undefined;

  private constructor(
    readonly command: readonly string[],
    readonly pid: number,
    child: ReturnType<typeof spawn>,
  ) {
    const append = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString('utf8')).slice(-MAX_OUTPUT_CHARS);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
      });
    });
  }

  /** Starts `command[0]` with the remaining items as arguments, without a shell. */
  static start(command: readonly string[], options: StartOptions): ManagedProcess {
    const [executable, ...args] = command;
    if (executable === undefined) throw new Error('Cannot start an empty command');
    const child = spawn(executable, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    if (child.pid === undefined) {
      // Node.js reports why, for example a missing executable, in an 'error' event that must be handled.
      child.on('error', () => undefined);
      throw new Error(`Failed to start ${executable} in ${options.cwd}; check that it is installed and on PATH`);
    }
    return new ManagedProcess(command, child.pid, child);
  }

  /** Runs a command to its end and returns its exit status and output; kills it when `timeoutMs` passes. */
  static async run(command: readonly string[], options: StartOptions & { readonly timeoutMs: number }): Promise<ExitStatus & { output: string }> {
    const child = ManagedProcess.start(command, options);
    const timer = setTimeout(() => child.signal('SIGKILL'), options.timeoutMs);
    try {
      const status = await child.exited;
      return { ...status, output: child.recentOutput() };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Returns the last output of the process, stdout and stderr interleaved. */
  recentOutput(): string {
    return this.output;
  }

  get hasExited(): boolean {
    return this.exitStatus !== undefined;
  }

  /**
   * Sends `signal` to the process group and waits for the exit. Sends SIGKILL when the process still
   * runs after `graceMs`. Returns how the process ended.
   */
  async stop(graceMs: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<ExitStatus> {
    this.signal(signal);
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.hasExited) return;
    try {
      process.kill(-this.pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}
