import assert from 'node:assert/strict';
import { access, lstat, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { loadConfig } from '@ingestion/core';
import { createIsolatedEnvironment, freePort, waitFor, type IsolatedEnvironment } from '@ingestion/core/testing';

import { BuildContext } from '../src/build-context.js';
import { emulateBuild, hostPath, type EmulatedBuild, type EmulatedImage, type StageCache } from '../src/build-emulator.js';
import { readDockerfile, type DockerStage } from '../src/dockerfile.js';
import { parseDuration } from '../src/duration.js';
import { ManagedProcess } from '../src/managed-process.js';
import { CONTAINER_APPS, readRootManifest, REPOSITORY_ROOT, type ContainerApp } from '../src/repository.js';

/** Time a process started from an emulated image may take to pass its health check. */
const STARTUP_TIMEOUT_MS = 60_000;

const API = CONTAINER_APPS.find((app) => app.service === 'ingestion-api')!;
const WORKER = CONTAINER_APPS.find((app) => app.service === 'processor-worker')!;

/**
 * Builds each app's image by running its Dockerfile's steps on this machine, starts the image's CMD
 * from the pruned runtime folder against the local services, and drives both processes with the stress
 * script. Only the build steps run here, not the image, so this machine's Node.js takes the place of
 * the base image's.
 */
describe('container commands', () => {
  let workDir: string;
  let environment: IsolatedEnvironment;
  const builds = new Map<string, { readonly stages: DockerStage[]; readonly result: EmulatedBuild }>();
  const processes = new Map<string, ManagedProcess>();
  const ports = new Map<string, number>();

  /** Returns the environment of the app's container: image ENV, this test's services and ports, and PATH. */
  function containerEnvironment(app: ContainerApp): NodeJS.ProcessEnv {
    return {
      PATH: process.env['PATH'],
      ...imageOf(app).env,
      ...environment.env,
      HOST: '127.0.0.1',
      PORT: String(ports.get(API.service)),
      WORKER_HTTP_PORT: String(ports.get(WORKER.service)),
      LOG_LEVEL: 'warn',
    };
  }

  function imageOf(app: ContainerApp): EmulatedImage {
    return builds.get(app.service)!.result.final;
  }

  function startApp(app: ContainerApp): ManagedProcess {
    const image = imageOf(app);
    assert.ok(image.command !== undefined, `${app.dockerfile} has no CMD`);
    const started = ManagedProcess.start(image.command, { cwd: hostPath(image, '.'), env: containerEnvironment(app) });
    processes.set(app.service, started);
    return started;
  }

  /** Runs the image's HEALTHCHECK command with its --timeout until it exits 0. */
  async function waitUntilHealthy(app: ContainerApp): Promise<void> {
    const image = imageOf(app);
    const healthCheck = image.healthCheck;
    assert.ok(healthCheck !== undefined, `${app.dockerfile} has no HEALTHCHECK`);
    const timeoutMs = parseDuration(healthCheck.options.get('timeout') ?? '30s');
    const running = processes.get(app.service)!;
    await waitFor(
      `the ${app.service} health check`,
      async () => {
        if (running.hasExited) throw new Error(`${app.service} exited:\n${running.recentOutput()}`);
        const result = await ManagedProcess.run(healthCheck.command, { cwd: hostPath(image, '.'), env: containerEnvironment(app), timeoutMs });
        return result.code === 0 ? true : undefined;
      },
      STARTUP_TIMEOUT_MS,
      250,
    );
  }

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'container-builds-'));
    const context = await BuildContext.open(REPOSITORY_ROOT);
    const cache: StageCache = new Map();
    for (const app of CONTAINER_APPS) {
      const stages = await readDockerfile(join(REPOSITORY_ROOT, app.dockerfile));
      builds.set(app.service, { stages, result: await emulateBuild({ stages, context, outputDir: join(workDir, app.service), cache }) });
      ports.set(app.service, await freePort());
    }
    environment = await createIsolatedEnvironment('containers');
  });

  after(async () => {
    for (const running of processes.values()) await running.stop(5_000);
    await environment?.cleanup();
    if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
  });

  for (const app of CONTAINER_APPS) {
    it(`${app.service} build installs every workspace`, async () => {
      const { stages, result } = builds.get(app.service)!;
      const install = stages.find((stage) => stage.instructions.some((instruction) => instruction.keyword === 'RUN' && /^npm ci(?!.*--omit=dev)/.test(instruction.text)));
      assert.ok(install?.name !== undefined, 'no named stage runs a full npm ci');
      const installed = result.stages.get(install.name)!;
      // npm ci links each workspace it found into node_modules under the workspace's package name.
      for (const workspace of (await readRootManifest()).workspaces) {
        const { name } = JSON.parse(await readFile(join(REPOSITORY_ROOT, workspace, 'package.json'), 'utf8')) as { name: string };
        await assert.doesNotReject(lstat(hostPath(installed, `node_modules/${name}`)), `${workspace} is not installed`);
      }
    });

    it(`${app.service} image contains production files only`, async () => {
      const image = imageOf(app);
      const modules = await readdir(hostPath(image, 'node_modules'));
      assert.ok(!modules.includes('typescript'), 'the TypeScript compiler is a build dependency');
      assert.ok(!modules.includes('eslint'), 'eslint is a build dependency');
      for (const other of CONTAINER_APPS.filter((candidate) => candidate !== app)) {
        await assert.rejects(access(hostPath(image, `${other.dockerfile.replace(/Dockerfile$/, '')}dist`)), `${other.service} code is in the image`);
      }
      for (const folder of ['apps', 'packages']) {
        for (const workspace of await readdir(hostPath(image, folder))) {
          const files = await readdir(hostPath(image, `${folder}/${workspace}`));
          assert.deepEqual(files.filter((file) => !['dist', 'migrations', 'package.json'].includes(file)), [], `${folder}/${workspace} holds more than its build`);
          await assert.rejects(access(hostPath(image, `${folder}/${workspace}/dist/test`)), `${folder}/${workspace} ships its tests`);
        }
      }
    });
  }

  for (const app of CONTAINER_APPS) {
    it(`${app.service} image is readable by others`, async () => {
      // The files belong to root in the image and the process runs as node, so node reads them as "other".
      const appFolder = hostPath(imageOf(app), '.');
      for (const path of await readdir(appFolder, { recursive: true })) {
        const stats = await lstat(join(appFolder, path));
        if (stats.isSymbolicLink()) continue;
        const required = stats.isDirectory() ? 0o005 : 0o004;
        assert.equal(stats.mode & required, required, `${path} has mode ${(stats.mode & 0o777).toString(8)}`);
      }
    });
  }

  it('API command passes health check', async () => {
    startApp(API);
    await waitUntilHealthy(API);
    const response = await fetch(`http://127.0.0.1:${ports.get(API.service)}/health/ready`);
    assert.equal(response.status, 200);
  });

  it('worker command starts', () => {
    const worker = startApp(WORKER);
    assert.equal(worker.hasExited, false);
  });

  // The worker's HTTP server, and with it the WORKER_HTTP_PORT setting, may not exist yet. Until it does
  // the image health check cannot pass, so the test runs only once the configuration defines the setting.
  const workerServesHttp = WORKER.healthPortVariable in loadConfig('container-check', {});
  it('worker command passes health check', { skip: workerServesHttp ? false : `the configuration has no ${WORKER.healthPortVariable}` }, async () => {
    await waitUntilHealthy(WORKER);
  });

  it('stress script succeeds against both', async () => {
    const result = await ManagedProcess.run(['bash', join(REPOSITORY_ROOT, 'stress_test.sh'), `http://127.0.0.1:${ports.get(API.service)}`], {
      cwd: REPOSITORY_ROOT,
      env: { PATH: process.env['PATH'], STRESS_EVENTS: '50', STRESS_TIMEOUT_SECONDS: '60' },
      timeoutMs: 120_000,
    });
    const logs = [...processes.entries()].map(([service, running]) => `--- ${service}\n${running.recentOutput()}`).join('\n');
    assert.equal(result.code, 0, `${result.output}\n${logs}`);
    assert.match(result.output, /^accepted 50\/50, processed 50\/50 in \d+\.\d s$/m);
  });

  it('both processes stop gracefully on SIGTERM', async () => {
    const shutdownTimeoutMs = loadConfig('container-check', {}).SHUTDOWN_TIMEOUT_MS;
    for (const [service, running] of processes) {
      const status = await running.stop(shutdownTimeoutMs + 5_000);
      assert.deepEqual(status, { code: 0, signal: null }, `${service}:\n${running.recentOutput()}`);
    }
  });
});
