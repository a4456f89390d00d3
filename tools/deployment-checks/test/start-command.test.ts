import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { loadConfig } from '@ingestion/core';
import { createIsolatedEnvironment, freePort, waitFor, type IsolatedEnvironment } from '@ingestion/core/testing';

import { ManagedProcess } from '../src/managed-process.js';
import { REPOSITORY_ROOT } from '../src/repository.js';

/** Time `npm start` may take to migrate the database and have both processes ready. */
const STARTUP_TIMEOUT_MS = 60_000;

/**
 * Runs `npm start`, the README's command for the API and a worker on one machine, in a process group
 * of its own. The test stops it as Ctrl-C in a terminal does, with SIGINT to the whole group. npm and
 * concurrently also pass the signal on to their children, so each product process gets it more than once.
 */
describe('npm start', () => {
  let environment: IsolatedEnvironment;
  let started: ManagedProcess | undefined;

  before(async () => {
    environment = await createIsolatedEnvironment('start-command');
  });

  after(async () => {
    await started?.stop(5_000);
    await environment?.cleanup();
  });

  it('stops gracefully on Ctrl-C', async () => {
    const apiUrl = `http://127.0.0.1:${await freePort()}`;
    const workerUrl = `http://127.0.0.1:${await freePort()}`;
    const env = {
      PATH: process.env['PATH'],
      ...environment.env,
      PORT: new URL(apiUrl).port,
      WORKER_HTTP_PORT: new URL(workerUrl).port,
      LOG_LEVEL: 'info',
    };
    const running = ManagedProcess.start(['npm', 'start'], { cwd: REPOSITORY_ROOT, env });
    started = running;
    await waitFor(
      'the API and the worker to be ready',
      async () => {
        if (running.hasExited) throw new Error(`npm start exited:\n${running.recentOutput()}`);
        const statuses = await Promise.all([apiUrl, workerUrl].map((url) => fetch(`${url}/health/ready`).then((response) => response.status)));
        return statuses.every((status) => status === 200) ? true : undefined;
      },
      STARTUP_TIMEOUT_MS,
      250,
    );

    const status = await running.stop(loadConfig('start-check', {}).SHUTDOWN_TIMEOUT_MS + 5_000, 'SIGINT');

    const output = running.recentOutput();
    assert.deepEqual(status, { code: 0, signal: null }, output);
    assert.equal(output.match(/"msg":"shutdown complete"/g)?.length, 2, output);
    assert.doesNotMatch(output, /second signal received/, output);
  });
});
