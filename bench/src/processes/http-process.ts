import { freePort, waitFor } from '@ingestion/core/testing';

import { BenchProcess } from './child-process.js';

/** A child process that serves HTTP on 127.0.0.1. */
export interface HttpProcess {
  readonly process: BenchProcess;
  readonly baseUrl: string;
}

/** Time a server may take to start and respond on its readiness path, in milliseconds. */
const START_TIMEOUT_MS = 60_000;

/**
 * Starts `script` on a free port, passed as PORT with HOST=127.0.0.1, and waits until GET
 * `readyPath` returns 200.
 */
export async function startHttpProcess(
  name: string,
  script: URL,
  env: Record<string, string>,
  readyPath: string,
  logPath: string,
  nodeArguments: readonly string[] = [],
): Promise<HttpProcess> {
  const port = await freePort();
  const child = BenchProcess.start(name, script.pathname, { ...env, HOST: '127.0.0.1', PORT: String(port) }, logPath, nodeArguments);
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      `${name} to answer ${readyPath}`,
      async () => {
        if (!child.isRunning) throw new Error(`${name} exited during start-up; see ${logPath}`);
        const response = await fetch(`${baseUrl}${readyPath}`);
        await response.body?.cancel();
        return response.status === 200 ? true : undefined;
      },
      START_TIMEOUT_MS,
      100,
    );
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { process: child, baseUrl };
}
