import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { waitFor } from '@ingestion/core/testing';

const WORKER_ENTRY_POINT = fileURLToPath(new URL('../../../../processor-worker/dist/src/main.js', import.meta.url));

/** A real Processor.Worker process, started from its compiled entry point. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Messages of the worker's log lines so far. */
  readonly messages: readonly string[];
  stop(): Promise<void>;
}

/** Starts a worker with the given environment and waits until it consumes. */
export async function startWorker(env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [WORKER_ENTRY_POINT], { env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const messages: string[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      messages.push(String((JSON.parse(line) as { msg?: unknown }).msg));
    } catch {
      messages.push(line);
    }
  });
  await waitFor('the worker to consume', async () => {
    if (child.exitCode !== null) throw new Error(`The worker exited with code ${child.exitCode}`);
    return messages.includes('consuming') || undefined;
  });
  return {
    child,
    messages,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
