import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { createIsolatedEnvironment, startService, waitFor, type IsolatedEnvironment } from '@ingestion/core/testing';

const API_MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));

/**
 * Starts a process of the real API and collects all of its output, so that a test can check what it
 * logs. startService keeps only the end of the output, which is not enough to prove that nothing leaked.
 */
function startApi(env: Record<string, string>) {
  const service = startService(API_MAIN, env);
  let output = '';
  const collect = (chunk: Buffer) => (output += chunk.toString('utf8'));
  service.child.stdout!.on('data', collect);
  service.child.stderr!.on('data', collect);
  const exited = once(service.child, 'exit').then(([code]) => code as number | null);
  return { output: () => output, exited, stop: () => service.stop() };
}

describe('secrets in logs and responses', () => {
  let environment: IsolatedEnvironment;
  const databasePassword = `db-pass-${randomBytes(8).toString('hex')}`;
  const bootstrapKey = `boot-${randomBytes(32).toString('base64url')}`;
  const unknownKey = `ik_${randomBytes(32).toString('base64url')}`;
  let databaseUrl: string;
  let keyFolder: string;

  before(async () => {
    environment = await createIsolatedEnvironment('secrets');
    keyFolder = await mkdtemp(join(tmpdir(), 'ingestion-secrets-'));
    await writeFile(join(keyFolder, 'bootstrap-key'), `${bootstrapKey}\n`, { mode: 0o600 });
    // The test server trusts local connections, so any password connects; it only has to stay out of the output.
    const url = new URL(environment.databaseUrl);
    url.password = databasePassword;
    databaseUrl = url.toString();
  });
  after(async () => {
    await rm(keyFolder, { recursive: true, force: true });
    await environment?.cleanup();
  });

  it('keeps keys and passwords out of logs and responses', async () => {
    const api = startApi({
      ...environment.env,
      DATABASE_URL: databaseUrl,
      AUTH_DISABLED: 'false',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'trace',
      AUTH_BOOTSTRAP_KEY_FILE: join(keyFolder, 'bootstrap-key'),
    });
    try {
      const port = await waitFor('the API to listen', async () => /listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(api.output())?.[1], 30_000);
      const base = `http://127.0.0.1:${port}`;
      const post = (authorization: string, body = '{"type":"secret.check"}') =>
        fetch(`${base}/Ingestion/ingest`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body });

      const accepted = await post(`Bearer ${bootstrapKey}`);
      assert.equal(accepted.status, 202);
      const rejected = await post(`Bearer ${unknownKey}`);
      assert.equal(rejected.status, 401);
      const invalid = await post(`Bearer ${bootstrapKey}`, '{"type":');
      assert.equal(invalid.status, 400);
      const responses = (await Promise.all([rejected.text(), invalid.text()])).join('\n');
      assert.ok(!responses.includes(bootstrapKey), 'the bootstrap key appeared in a response');
      assert.ok(!responses.includes(unknownKey), 'the unknown key appeared in a response');
    } finally {
      await api.stop();
    }
    const output = api.output();
    assert.match(output, /bootstrap API key registered/);
    assert.match(output, /request rejected/);
    for (const [name, secret] of [['bootstrap key', bootstrapKey], ['unknown key', unknownKey], ['database password', databasePassword]] as const) {
      assert.ok(!output.includes(secret), `the ${name} appeared in the log`);
    }
    assert.ok(!output.includes('guest:guest@'), 'the RabbitMQ credentials appeared in the log');
  });

  it('keeps passwords out of configuration errors', async () => {
    const api = startApi({ ...environment.env, DATABASE_URL: databaseUrl.replace('postgres://', 'mysql://'), PORT: 'eighty' });
    assert.equal(await api.exited, 1);
    assert.match(api.output(), /DATABASE_URL/);
    assert.match(api.output(), /PORT/);
    assert.ok(!api.output().includes(databasePassword), 'the database password appeared in the error');
  });
});
