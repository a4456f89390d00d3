import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';

import { startApiHarness, type ApiHarness } from './support/api-harness.js';

const CLI = fileURLToPath(new URL('../src/cli/replay.js', import.meta.url));
const run = promisify(execFile);

describe('replay of failed events', () => {
  let harness: ApiHarness;

  // The relay stays off, so the outbox rows a replay queues can be inspected.
  before(async () => {
    harness = await startApiHarness('replay', { RELAY_ENABLED: 'false' });
  });
  after(() => harness?.close());

  const post = (url: string, payload?: unknown) =>
    harness.app.inject({
      method: 'POST',
      url,
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload), headers: { 'content-type': 'application/json' } }),
    });

  /** Stores an event and marks it failed the way the worker does after its last attempt. */
  async function failedEvent(type: string, receivedAt = '2026-01-15T12:00:00Z'): Promise<string> {
    const response = await post('/Ingestion/ingest', { type, data: { n: Math.random() } });
    const { id } = response.json() as { id: string };
    await harness.services.pool.query(
      `UPDATE events
          SET status = 'failed', attempts = 3, delivery_seq = 4, last_error = 'Error: boom', received_at = $2,
              updated_at = now() - interval '1 second',
              errors = '[{"attempt":3,"at":"2026-01-15T12:00:01Z","message":"Error: boom","permanent":false}]'
        WHERE id = $1`,
      [id, receivedAt],
    );
    await harness.services.pool.query('DELETE FROM outbox WHERE event_id = $1', [id]);
    return id;
  }

  async function eventRow(id: string) {
    const result = await harness.services.pool.query<{ status: string; attempts: number; last_error: string | null; errors: unknown[] }>(
      'SELECT status, attempts, last_error, errors FROM events WHERE id = $1',
      [id],
    );
    return result.rows[0]!;
  }

  async function outboxSeqs(id: string): Promise<number[]> {
    const result = await harness.services.pool.query<{ delivery_seq: number; kind: string }>(
      "SELECT delivery_seq, kind FROM outbox WHERE event_id = $1 AND kind = 'process' ORDER BY id",
      [id],
    );
    return result.rows.map((row) => row.delivery_seq);
  }

  function assertProblem(response: { statusCode: number; json(): unknown }, status: number, code: string) {
    assert.equal(response.statusCode, status);
    const problem = response.json() as { code: string; errors?: { pointer: string }[] };
    assert.equal(problem.code, code);
    return problem;
  }

  it('puts a failed event back to accepted with the next delivery', async () => {
    const id = await failedEvent('replay.one');
    const response = await post(`/Ingestion/events/${id}/replay`);
    assert.equal(response.statusCode, 202);
    assert.deepEqual(response.json(), { id, status: 'accepted' });
    assert.equal(response.headers['location'], `/Ingestion/events/${id}`);

    const row = await eventRow(id);
    assert.equal(row.status, 'accepted');
    assert.equal(row.attempts, 0);
    assert.equal(row.last_error, null);
    assert.equal(row.errors.length, 1, 'the error history is kept');
    assert.deepEqual(await outboxSeqs(id), [4]);
  });

  it('rejects replaying an event that is not failed', async () => {
    const id = await failedEvent('replay.twice');
    assert.equal((await post(`/Ingestion/events/${id}/replay`)).statusCode, 202);
    const again = assertProblem(await post(`/Ingestion/events/${id}/replay`), 409, 'INGEST_EVENT_NOT_FAILED') as { detail?: string };
    assert.match(String(again.detail), /is accepted/);
    assert.deepEqual(await outboxSeqs(id), [4]);
  });

  it('returns 404 for an unknown event and 400 for a malformed id', async () => {
    assertProblem(await post('/Ingestion/events/00000000-0000-7000-8000-000000000000/replay'), 404, 'INGEST_EVENT_NOT_FOUND');
    const malformed = assertProblem(await post('/Ingestion/events/not-a-uuid/replay'), 400, 'INGEST_PARAMETER_INVALID');
    assert.equal((malformed['errors'] as { pointer: string }[])[0]?.pointer, '/id');
  });

  it('queues one delivery for concurrent replays', async () => {
    const id = await failedEvent('replay.race');
    const responses = await Promise.all(Array.from({ length: 10 }, () => post(`/Ingestion/events/${id}/replay`)));
    const statuses = responses.map((response) => response.statusCode).sort();
    assert.deepEqual(statuses, [202, ...Array.from({ length: 9 }, () => 409)]);
    assert.deepEqual(await outboxSeqs(id), [4]);
  });

  it('replays failed events by type and receive time', async () => {
    const january = await failedEvent('replay.filter', '2026-01-10T00:00:00Z');
    const february = await failedEvent('replay.filter', '2026-02-10T00:00:00Z');
    const otherType = await failedEvent('replay.other', '2026-01-10T00:00:00Z');

    const response = await post('/Ingestion/events/replay', { type: 'replay.filter', from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00+00:00' });
    assert.equal(response.statusCode, 202);
    assert.deepEqual(response.json(), { replayed: 1, remaining: 0, ids: [january] });
    assert.equal((await eventRow(january)).status, 'accepted');
    assert.equal((await eventRow(february)).status, 'failed');
    assert.equal((await eventRow(otherType)).status, 'failed');
  });

  it('replays at most limit events and reports the rest', async () => {
    const ids = [await failedEvent('replay.limit'), await failedEvent('replay.limit'), await failedEvent('replay.limit')];
    const first = (await post('/Ingestion/events/replay', { type: 'replay.limit', limit: 2 })).json() as { ids: string[] };
    assert.deepEqual({ ...first, ids: first.ids.sort() }, { replayed: 2, remaining: 1, ids: ids.slice(0, 2).sort() });
    const second = await post('/Ingestion/events/replay', { type: 'replay.limit', limit: 2 });
    assert.deepEqual(second.json(), { replayed: 1, remaining: 0, ids: [ids[2]] });
  });

  const invalidFilters: [string, unknown, string[]][] = [
    ['no filter', {}, ['']],
    ['a time without offset', { from: '2026-01-01T00:00:00' }, ['/from']],
    ['from after to', { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, ['/to']],
    ['an unknown member', { type: 't', status: 'processed' }, ['/status']],
    ['a limit over the maximum', { type: 't', limit: 10_001 }, ['/limit']],
    ['a non-object', ['t'], ['']],
  ];
  for (const [name, filter, pointers] of invalidFilters) {
    it(`rejects a filter with ${name}`, async () => {
      const problem = assertProblem(await post('/Ingestion/events/replay', filter), 400, 'INGEST_REPLAY_FILTER_INVALID');
      assert.deepEqual(problem.errors?.map((issue) => issue.pointer), pointers);
    });
  }

  it('rejects a filtered replay without a body', async () => {
    assertProblem(await post('/Ingestion/events/replay'), 400, 'INGEST_REPLAY_FILTER_INVALID');
  });

  it('rejects a filter that is not JSON', async () => {
    const response = await harness.app.inject({
      method: 'POST',
      url: '/Ingestion/events/replay',
      payload: '{"type":"replay.filter"}',
      headers: { 'content-type': 'text/plain' },
    });

    const problem = response.json() as { detail: string; errors: { header?: string }[] };
    assertProblem(response, 415, 'INGEST_MEDIA_TYPE_UNSUPPORTED');
    assert.equal(problem.detail, 'Unsupported media type. Content-Type text/plain is not accepted here; send application/json in UTF-8.');
    assert.deepEqual(problem.errors.map((issue) => issue.header), ['content-type']);
  });

  it('rejects a filter in another charset', async () => {
    const response = await harness.app.inject({
      method: 'POST',
      url: '/Ingestion/events/replay',
      payload: '{"type":"replay.filter"}',
      headers: { 'content-type': 'application/json; charset=ISO-8859-1' },
    });

    const problem = response.json() as { detail: string };
    assertProblem(response, 415, 'INGEST_MEDIA_TYPE_UNSUPPORTED');
    assert.equal(problem.detail, 'Unsupported media type. Charset ISO-8859-1 is not supported; send JSON as UTF-8 (RFC 8259).');
  });

  it('answers 405 for other methods on the replay routes', async () => {
    const response = await harness.app.inject({ method: 'GET', url: '/Ingestion/events/replay' });
    assertProblem(response, 405, 'INGEST_METHOD_NOT_ALLOWED');
    assert.equal(response.headers['allow'], 'POST');
  });

  describe('command line', () => {
    const cli = (args: string[]) =>
      run(process.execPath, [CLI, ...args], { env: { ...process.env, ...harness.environment.env, LOG_LEVEL: 'warn' } }).then(
        (result) => ({ code: 0, ...result }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );

    it('prints its options with --help', async () => {
      const result = await cli(['--help']);
      assert.equal(result.code, 0);
      assert.match(result.stdout, /--batch-size/);
    });

    it('replays events by id and reports the ones it could not', async () => {
      const id = await failedEvent('replay.cli');
      const unknown = '00000000-0000-7000-8000-000000000001';
      const result = await cli(['--id', id, '--id', unknown]);
      assert.equal(result.code, 1);
      assert.match(result.stdout, new RegExp(`replayed ${id}`));
      assert.match(result.stderr, new RegExp(`not found: no event has the id ${unknown}`));
      assert.equal((await eventRow(id)).status, 'accepted');
    });

    it('replays every matching event in batches', async () => {
      const ids = [await failedEvent('replay.cli-batch'), await failedEvent('replay.cli-batch'), await failedEvent('replay.cli-batch')];
      const result = await cli(['--type', 'replay.cli-batch', '--batch-size', '2']);
      assert.equal(result.code, 0);
      assert.match(result.stdout, /replayed 3 failed events; 0 matching events left/);
      for (const id of ids) assert.equal((await eventRow(id)).status, 'accepted');
    });

    const usageErrors: [string, string[], RegExp][] = [
      ['no options', [], /Give --id/],
      ['an invalid time', ['--from', 'yesterday'], /--from: /],
      ['--id with a filter', ['--id', '00000000-0000-7000-8000-000000000001', '--type', 't'], /not both/],
      ['an unknown option', ['--status', 'failed'], /Unknown option/],
    ];
    for (const [name, args, message] of usageErrors) {
      it(`exits 2 for ${name}`, async () => {
        const result = await cli(args);
        assert.equal(result.code, 2);
        assert.match(result.stderr, message);
      });
    }
  });
});
