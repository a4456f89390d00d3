import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** A product process started by a test, with its output kept for failure messages. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Sends `signal` and waits for the exit; SIGKILL after `timeoutMs`. Returns the exit code. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

/** Starts `node <entry>` with the given environment added to this process's environment. */
export function startService(entry: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, [entry], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-200_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return {
    child,
    output: () => output,
    async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        const [code] = (await exited) as [number | null];
        return code;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
