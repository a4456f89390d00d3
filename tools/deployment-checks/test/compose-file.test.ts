import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';

import { loadConfig } from '@ingestion/core';
import { waitFor } from '@ingestion/core/testing';

import {
  interpolate,
  parseComposeText,
  readComposeFile,
  readComposeSchema,
  serviceEnvironment,
  validateComposeDocument,
  type ComposeDocument,
  type ComposeService,
} from '../src/compose-file.js';
import { finalStage, healthCheckOf, readDockerfile } from '../src/dockerfile.js';
import { parseDuration } from '../src/duration.js';
import { ManagedProcess } from '../src/managed-process.js';
import { CONTAINER_APPS, REPOSITORY_ROOT } from '../src/repository.js';

const COMPOSE_FILE = join(REPOSITORY_ROOT, 'docker-compose.yml');

/**
 * Executables of the official images that health checks may call, by image name. The lists name only
 * what the checks here use: the official postgres images include pg_isready, and the official rabbitmq
 * images include rabbitmq-diagnostics.
 */
const IMAGE_EXECUTABLES: Readonly<Record<string, readonly string[]>> = {
  postgres: ['pg_isready'],
  rabbitmq: ['rabbitmq-diagnostics'],
};

const INFRASTRUCTURE_SERVICES = ['postgres', 'rabbitmq'];

function imageName(image: string): string {
  return image.split(':')[0]!;
}

function dockerfileOf(service: ComposeService): string {
  assert.equal(typeof service.build, 'object', 'build must be an object with context and dockerfile');
  const build = service.build as { context?: string; dockerfile?: string };
  assert.ok(build.dockerfile !== undefined, 'build.dockerfile is not set');
  return join(REPOSITORY_ROOT, build.context ?? '.', build.dockerfile);
}

/** Returns the executable and arguments of a Compose `healthcheck.test` in CMD form. */
function composeHealthCommand(service: ComposeService): string[] {
  const test = service.healthcheck?.test;
  assert.ok(Array.isArray(test), `healthcheck.test must be a list, got ${JSON.stringify(test)}`);
  assert.equal(test[0], 'CMD', 'healthcheck.test must start with CMD');
  return test.slice(1);
}

describe('docker-compose.yml', () => {
  let raw: unknown;
  let compose: ComposeDocument;

  before(async () => {
    raw = (await readComposeFile(COMPOSE_FILE)).document;
    // Interpolated as `docker compose up` does on a machine where none of the variables is set.
    compose = interpolate(raw, {}) as ComposeDocument;
  });

  it('conforms to the Compose Specification schema', async () => {
    const schema = await readComposeSchema();
    assert.deepEqual(validateComposeDocument(schema, raw), []);
    assert.deepEqual(validateComposeDocument(schema, compose), []);
  });

  it('schema validation rejects an invalid file', async () => {
    const invalid = parseComposeText('services:\n  api:\n    image: x\n    depends_on:\n      db:\n        condition: service_ready\n    unknown_key: 1\n');
    const errors = validateComposeDocument(await readComposeSchema(), invalid);
    assert.ok(errors.some((error) => error.startsWith('/services/api/depends_on/db/condition ')), errors.join('\n'));
    assert.ok(errors.some((error) => error.includes('"additionalProperty":"unknown_key"')), errors.join('\n'));
  });

  it('defines the four services', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), [...INFRASTRUCTURE_SERVICES, ...CONTAINER_APPS.map((app) => app.service)].sort());
    assert.match(compose.services['rabbitmq']!.image ?? '', /^rabbitmq:4[.\d]*-management(-alpine)?$/);
    assert.match(compose.services['postgres']!.image ?? '', /^postgres:\d+/);
  });

  it('PostgreSQL volume matches image version', () => {
    const postgres = compose.services['postgres']!;
    const major = Number(/^postgres:(\d+)/.exec(postgres.image ?? '')?.[1]);
    // Images of PostgreSQL 18 and later declare /var/lib/postgresql as their volume, older ones /var/lib/postgresql/data.
    const expectedTarget = major >= 18 ? '/var/lib/postgresql' : '/var/lib/postgresql/data';
    const mounts = (postgres.volumes ?? []).filter((volume): volume is string => typeof volume === 'string').map((volume) => volume.split(':'));
    const dataMount = mounts.find(([, target]) => target === expectedTarget);
    assert.ok(dataMount !== undefined, `no volume is mounted at ${expectedTarget}: ${JSON.stringify(postgres.volumes)}`);
    assert.ok(Object.keys(compose.volumes ?? {}).includes(dataMount[0]!), `${dataMount[0]} is not a named volume`);
  });

  it('every service restarts and checks health', async () => {
    for (const [name, service] of Object.entries(compose.services)) {
      assert.ok(service.restart !== undefined, `${name} has no restart policy`);
      assert.notEqual(service.restart, 'no', `${name} is never restarted`);
      assert.notEqual(service.healthcheck?.disable, true, `${name} disables its health check`);
      if (service.build === undefined) {
        assert.ok(service.healthcheck?.test !== undefined, `${name} has no health check`);
      } else {
        // Throws when the image defines no health check.
        healthCheckOf(finalStage(await readDockerfile(dockerfileOf(service))));
      }
    }
  });

  it('health checks use image executables', async () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.build === undefined) {
        const executable = composeHealthCommand(service)[0]!;
        const available = IMAGE_EXECUTABLES[imageName(service.image ?? '')] ?? [];
        assert.ok(available.includes(executable), `${name}: ${executable} is not known to exist in ${service.image}`);
      } else {
        const stage = finalStage(await readDockerfile(dockerfileOf(service)));
        assert.equal(healthCheckOf(stage).command[0], 'node', `${name}: the health check must use node`);
        assert.match(stage.base, /^node:/, `${name}: the final stage is not based on a node image`);
      }
    }
  });

  it('infrastructure health checks pass locally', async () => {
    // The same tools run on this machine, so a typo in a command or an option fails here first.
    for (const name of INFRASTRUCTURE_SERVICES) {
      const command = composeHealthCommand(compose.services[name]!);
      await waitFor(
        `the ${name} health check ${command.join(' ')}`,
        async () => ((await ManagedProcess.run(command, { cwd: REPOSITORY_ROOT, env: process.env, timeoutMs: 15_000 })).code === 0 ? true : undefined),
        60_000,
        500,
      );
    }
  });

  it('apps wait for healthy dependencies', () => {
    for (const app of CONTAINER_APPS) {
      const dependsOn = compose.services[app.service]!.depends_on;
      assert.ok(dependsOn !== undefined, `${app.service} needs depends_on`);
      assert.ok(!Array.isArray(dependsOn), `${app.service} needs depends_on with conditions, not a list`);
      for (const dependency of INFRASTRUCTURE_SERVICES) {
        assert.equal((dependsOn as Record<string, { condition: string }>)[dependency]?.condition, 'service_healthy', `${app.service} → ${dependency}`);
      }
    }
  });

  it('apps build from their Dockerfiles', async () => {
    for (const app of CONTAINER_APPS) {
      const service = compose.services[app.service]!;
      assert.deepEqual(service.build, { context: '.', dockerfile: app.dockerfile });
      await access(dockerfileOf(service));
    }
  });

  it('worker scales without fixed names', () => {
    const worker = compose.services['processor-worker']!;
    assert.equal(worker.container_name, undefined);
    assert.equal(worker.ports, undefined);
  });

  it('app configuration is valid', () => {
    const postgres = serviceEnvironment(compose.services['postgres']!);
    const rabbitmq = serviceEnvironment(compose.services['rabbitmq']!);
    for (const app of CONTAINER_APPS) {
      const environment = serviceEnvironment(compose.services[app.service]!);
      const config = loadConfig(app.service, environment);
      const database = new URL(config.DATABASE_URL);
      assert.equal(database.hostname, 'postgres');
      assert.equal(decodeURIComponent(database.username), postgres['POSTGRES_USER']);
      assert.equal(decodeURIComponent(database.password), postgres['POSTGRES_PASSWORD']);
      assert.equal(database.pathname, `/${postgres['POSTGRES_DB']}`);
      const broker = new URL(config.RABBITMQ_URL);
      assert.equal(broker.hostname, 'rabbitmq');
      assert.equal(decodeURIComponent(broker.username), rabbitmq['RABBITMQ_DEFAULT_USER']);
      assert.equal(decodeURIComponent(broker.password), rabbitmq['RABBITMQ_DEFAULT_PASS']);
    }
  });

  it('API port is published', () => {
    const api = compose.services['ingestion-api']!;
    const port = loadConfig('ingestion-api', serviceEnvironment(api)).PORT;
    assert.deepEqual(api.ports, [`127.0.0.1:${port}:${port}`]);
  });

  it('credentials have development defaults', () => {
    const credentials: [string, string][] = [
      ['postgres', 'POSTGRES_PASSWORD'],
      ['rabbitmq', 'RABBITMQ_DEFAULT_PASS'],
    ];
    for (const [service, variable] of credentials) {
      const value = serviceEnvironment((raw as ComposeDocument).services[service]!)[variable];
      assert.match(value ?? '', /^\$\{[A-Z_]+:-[^}]*dev[^}]*\}$/, `${service} ${variable} must be \${NAME:-...dev...}`);
    }
  });

  it('grace period exceeds shutdown timeout', () => {
    const shutdownTimeoutMs = loadConfig('compose-check', {}).SHUTDOWN_TIMEOUT_MS;
    for (const app of CONTAINER_APPS) {
      const gracePeriod = compose.services[app.service]!.stop_grace_period;
      assert.ok(gracePeriod !== undefined, `${app.service} has no stop_grace_period`);
      assert.ok(parseDuration(gracePeriod) > shutdownTimeoutMs, `${app.service}: ${gracePeriod} is not longer than ${shutdownTimeoutMs} ms`);
    }
  });
});
