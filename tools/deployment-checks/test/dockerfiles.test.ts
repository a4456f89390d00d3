import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';

import { finalStage, healthCheckOf, lastInstruction, readDockerfile, type DockerStage } from '../src/dockerfile.js';
import { parseDuration } from '../src/duration.js';
import { CONTAINER_APPS, readRootManifest, REPOSITORY_ROOT, type RootManifest } from '../src/repository.js';

/** Major version of Node.js that the images run and that this machine must run for the emulated builds. */
const NODE_MAJOR = 24;

function runSteps(stage: DockerStage): string[] {
  return stage.instructions.filter((instruction) => instruction.keyword === 'RUN').map((instruction) => instruction.text);
}

for (const app of CONTAINER_APPS) {
  describe(`${app.dockerfile}`, () => {
    let stages: DockerStage[];
    let manifest: RootManifest;

    before(async () => {
      stages = await readDockerfile(join(REPOSITORY_ROOT, app.dockerfile));
      manifest = await readRootManifest();
    });

    it('builds in several stages on Node.js 24', () => {
      assert.ok(stages.length >= 2, `expected a multi-stage build, found ${stages.length} stage(s)`);
      const names = new Set<string>();
      for (const stage of stages) {
        const onEarlierStage = names.has(stage.base);
        assert.ok(onEarlierStage || new RegExp(`^node:${NODE_MAJOR}(-[a-z0-9.-]+)?$`).test(stage.base), `stage ${stage.name} is based on ${stage.base}`);
        if (stage.name !== undefined) names.add(stage.name);
      }
      assert.equal(Number(process.versions.node.split('.')[0]), NODE_MAJOR, 'the emulated builds need the same Node.js major as the images');
    });

    it('runs as the non-root node user', () => {
      assert.equal(lastInstruction(finalStage(stages), 'USER')?.text.trim(), 'node');
    });

    it('CMD equals the npm script', () => {
      const script = manifest.scripts[app.npmScript];
      assert.ok(script !== undefined, `package.json has no script ${app.npmScript}`);
      // The script starts with the shell's `exec`, so that npm's signals reach node as Docker's reach the CMD.
      const command = script.replace(/^exec /, '');
      assert.notEqual(command, script, 'the script must replace its shell with node by `exec`');
      assert.match(command, /^[^&|;<>$`'"]+$/, 'the script must be one plain command to be comparable');
      assert.deepEqual(lastInstruction(finalStage(stages), 'CMD')?.execForm, command.split(/\s+/));
    });

    it('health check uses node', () => {
      const stage = finalStage(stages);
      const healthCheck = healthCheckOf(stage);
      assert.equal(healthCheck.command[0], 'node');
      const script = healthCheck.command.join(' ');
      assert.ok(script.includes(`process.env.${app.healthPortVariable} || ${app.defaultHealthPort}`), script);
      assert.ok(script.includes('/health/ready'), script);
      const timeout = healthCheck.options.get('timeout');
      assert.equal(typeof timeout, 'string', 'the health check needs a --timeout');
      assert.ok(parseDuration(timeout!) > 0);
      assert.equal(lastInstruction(stage, 'EXPOSE')?.text.trim(), String(app.defaultHealthPort));
    });

    it('builds with npm ci and npm run build', () => {
      const steps = stages.flatMap(runSteps);
      assert.ok(steps.includes('npm ci --no-audit --no-fund'), `no RUN step installs every dependency: ${JSON.stringify(steps)}`);
      assert.ok(steps.includes('npm run build'), `no RUN step runs the build: ${JSON.stringify(steps)}`);
    });

    it('runtime installs production dependencies only', () => {
      const steps = stages.flatMap(runSteps);
      assert.ok(
        steps.some((step) => step.startsWith(`npm ci --omit=dev --workspace ${app.workspace} `)),
        `no RUN step installs production dependencies of ${app.workspace}: ${JSON.stringify(steps)}`,
      );
    });

    it('final stage copies only build output', () => {
      const copies = finalStage(stages).instructions.filter((instruction) => instruction.keyword === 'COPY');
      assert.ok(copies.length > 0);
      for (const instruction of copies) assert.ok(instruction.flags.has('from'), `COPY on line ${instruction.line} takes files from the context`);
    });
  });
}
