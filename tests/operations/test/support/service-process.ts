import { spawn, type ChildProcess } from 'node:child_process';

/** A product process (API or worker) started by a test, with its log lines kept for assertions. */
export class ServiceProcess {
  readonly name: string;
  readonly baseUrl: string;
  private readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private readonly exited: Promise<number | null>;

  private constructor(name: string, child: ChildProcess, baseUrl: string) {
    this.name = name;
    this.child = child;
    this.baseUrl = baseUrl;
    let partial = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop()!;
      this.lines.push(...parts);
    });
    child.stderr!.on('data', (chunk: Buffer) => this.lines.push(chunk.toString('utf8')));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /**
   * Starts `node main` with the given environment; `command` may prefix it (for `ip netns exec`).
   * `baseUrl` is where its HTTP server will listen.
   */
  static start(name: string, main: string, env: Record<string, string>, baseUrl: string, command: readonly string[] = []): ServiceProcess {
    const argv = [...command, process.execPath, main];
    const child = spawn(argv[0]!, argv.slice(1), {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServiceProcess(name, child, baseUrl);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Parsed JSON log lines written so far. */
  logRecords(): Record<string, unknown>[] {
    return this.lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  /** Returns the last log lines, to explain a failed assertion. */
  logTail(count = 30): string {
    return `--- last log lines of ${this.name} ---\n${this.lines.slice(-count).join('\n')}`;
  }

  /** Polls /health/ready until it returns 200; throws at once if the process exits, or after `timeoutMs`. */
  async waitUntilReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.isRunning) throw new Error(`${this.name} exited before it was ready\n${this.logTail()}`);
      const status = await fetch(`${this.baseUrl}/health/ready`, { signal: AbortSignal.timeout(2_000) }).then(
        (response) => response.status,
        () => undefined,
      );
      if (status === 200) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${this.name} was not ready within ${timeoutMs} ms\n${this.logTail()}`);
  }

  /** Sends SIGTERM and waits for a graceful exit; returns the exit code. */
  async stop(timeoutMs = 30_000): Promise<number | null> {
    if (!this.isRunning) return this.child.exitCode;
    this.child.kill('SIGTERM');
    return this.waitForExit(timeoutMs);
  }

  /** Sends SIGKILL: the process dies without any cleanup, as in a crash or an OOM kill. */
  async kill(): Promise<void> {
    if (!this.isRunning) return;
    this.child.kill('SIGKILL');
    await this.waitForExit(10_000);
  }

  private async waitForExit(timeoutMs: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.name} did not exit within ${timeoutMs} ms\n${this.logTail()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } catch (error) {
      this.child.kill('SIGKILL');
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

