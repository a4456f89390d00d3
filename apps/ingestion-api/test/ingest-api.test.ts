import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { ERROR_CATALOGUE } from '@ingestion/core';

import { startApiHarness, type ApiHarness } from './support/api-harness.js';

describe('ingestion API', () => {
  let harness: ApiHarness;

  before(async () => {
    harness = await startApiHarness('api', { RELAY_ENABLED: 'false', INGEST_BODY_LIMIT_BYTES: '4096', INGEST_BATCH_MAX_EVENTS: '3' });
  });
  after(() => harness?.close());

  const post = (url: string, payload: string | Buffer, contentType = 'application/json') =>
    harness.app.inject({ method: 'POST', url, payload, headers: { 'content-type': contentType } });

  async function countRows(table: 'events' | 'outbox') {
    const result = await harness.services.pool.query<{ count: string }>(`SELECT count(*) FROM ${table}`);
    return Number(result.rows[0]!.count);
  }

  function assertProblem(response: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, status: number, code: string) {
    assert.equal(response.statusCode, status);
    assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
    const problem = response.json() as Record<string, unknown>;
    assert.equal(problem['status'], status);
    assert.equal(problem['code'], code);
    assert.equal(typeof problem['title'], 'string');
    assert.equal(typeof problem['detail'], 'string');
    return problem;
  }

  it('answers 202 with a Location after the event and its outbox row committed', async () => {
    const response = await post('/Ingestion/ingest', JSON.stringify({ type: 'order.created', data: { orderId: 'A-1' } }));
    assert.equal(response.statusCode, 202);
    const body = response.json() as { id: string; status: string };
    assert.equal(body.status, 'accepted');
    assert.equal(response.headers['location'], `/Ingestion/events/${body.id}`);

    const outbox = await harness.services.pool.query('SELECT event_id FROM outbox WHERE event_id = $1', [body.id]);
    assert.equal(outbox.rowCount, 1);
  });

  it('returns the stored event with its data as sent', async () => {
    const data = '{"z":1.10,"a":[true,null],"big":123456789012345678901234567890}';
    const created = await post('/Ingestion/ingest', `{"type":"t.x","source":"/tests","subject":"s","data":${data}}`);
    const { id } = created.json() as { id: string };

    const response = await harness.app.inject({ method: 'GET', url: `/Ingestion/events/${id}` });
    assert.equal(response.statusCode, 200);
    assert.ok(response.body.endsWith(`"data":${data}}`), response.body);
    const event = response.json() as Record<string, unknown>;
    assert.equal(event['id'], id);
    assert.equal(event['type'], 't.x');
    assert.equal(event['source'], '/tests');
    assert.equal(event['status'], 'accepted');
    assert.equal(event['attempts'], 0);
    assert.equal(event['processedAt'], null);
    assert.equal(event['error'], null);
    assert.ok(!Number.isNaN(Date.parse(String(event['receivedAt']))));
  });

  it('returns 404 for an unknown id and 400 for a malformed one', async () => {
    const unknown = await harness.app.inject({ method: 'GET', url: '/Ingestion/events/00000000-0000-7000-8000-000000000000' });
    assertProblem(unknown, 404, 'INGEST_EVENT_NOT_FOUND');
    const malformed = await harness.app.inject({ method: 'GET', url: '/Ingestion/events/not-a-uuid' });
    const problem = assertProblem(malformed, 400, 'INGEST_PARAMETER_INVALID');
    assert.deepEqual(problem['errors'], [{ pointer: '/id', detail: 'id must be a UUID. Send the id returned by the ingest request.' }]);
  });

  it('returns problem details for an id over the parameter limit', async () => {
    const tooLong = await harness.app.inject({ method: 'GET', url: `/Ingestion/events/${'a'.repeat(201)}` });
    const problem = assertProblem(tooLong, 400, 'INGEST_PARAMETER_INVALID');
    assert.match(String(problem['detail']), /longer than 200 characters/);
    const replay = await harness.app.inject({ method: 'POST', url: `/Ingestion/events/${'a'.repeat(201)}/replay` });
    assertProblem(replay, 400, 'INGEST_PARAMETER_INVALID');
  });

  it('rejects a bad percent-encoding with 400', async () => {
    for (const id of ['%zz', '%ff%fe']) {
      const response = await harness.app.inject({ method: 'GET', url: `/Ingestion/events/${id}` });
      const problem = assertProblem(response, 400, 'INGEST_PARAMETER_INVALID');
      assert.match(String(problem['detail']), /invalid percent-encoding/, id);
    }
  });

  it('names the invalid fields with JSON Pointers', async () => {
    const before = await countRows('events');
    const response = await post('/Ingestion/ingest', '{"type":"","time":"soon"}');
    const problem = assertProblem(response, 400, 'INGEST_VALIDATION_FAILED');
    const pointers = (problem['errors'] as { pointer: string }[]).map((issue) => issue.pointer).sort();
    assert.deepEqual(pointers, ['/time', '/type']);
    assert.equal(await countRows('events'), before);
  });

  const badRequests: [string, () => ReturnType<typeof post>, number, string][] = [
    ['malformed JSON', () => post('/Ingestion/ingest', '{"type":'), 400, 'INGEST_BODY_INVALID_JSON'],
    ['an empty body', () => post('/Ingestion/ingest', ''), 400, 'INGEST_BODY_MISSING'],
    ['invalid UTF-8', () => post('/Ingestion/ingest', Buffer.from([0x7b, 0xc3, 0x28, 0x7d])), 400, 'INGEST_BODY_ENCODING_INVALID'],
    ['a JSON array', () => post('/Ingestion/ingest', '[]'), 400, 'INGEST_VALIDATION_FAILED'],
    ['a body over the limit', () => post('/Ingestion/ingest', JSON.stringify({ type: 't', data: 'x'.repeat(5000) })), 413, 'INGEST_BODY_TOO_LARGE'],
    ['an unsupported media type', () => post('/Ingestion/ingest', 'type=t', 'application/x-www-form-urlencoded'), 415, 'INGEST_MEDIA_TYPE_UNSUPPORTED'],
    ['a batch over the limit', () => post('/Ingestion/ingest/batch', JSON.stringify([1, 2, 3, 4].map(() => ({ type: 't' })))), 413, 'INGEST_BATCH_TOO_LARGE'],
    ['an empty batch', () => post('/Ingestion/ingest/batch', '[]'), 400, 'INGEST_BATCH_INVALID'],
    ['a batch that is an object', () => post('/Ingestion/ingest/batch', JSON.stringify({ type: 't' })), 400, 'INGEST_BATCH_INVALID'],
  ];
  for (const [name, send, status, code] of badRequests) {
    it(`rejects ${name} with ${status}`, async () => {
      const before = await countRows('events');
      assertProblem(await send(), status, code);
      assert.equal(await countRows('events'), before);
    });
  }

  it('rejects a compressed body with 415', async () => {
    const before = await countRows('events');
    const response = await harness.app.inject({
      method: 'POST',
      url: '/Ingestion/ingest',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: JSON.stringify({ type: 'compressed.check' }),
    });
    const problem = assertProblem(response, 415, 'INGEST_MEDIA_TYPE_UNSUPPORTED');
    assert.equal((problem['errors'] as { header: string }[])[0]?.header, 'content-encoding');
    assert.equal(problem['detail'], 'Unsupported media type. Content-Encoding gzip is not supported; send the body uncompressed.');
    assert.equal(response.headers['accept-encoding'], 'identity');
    assert.equal(await countRows('events'), before);
  });

  it('accepts the identity content coding', async () => {
    const response = await harness.app.inject({
      method: 'POST',
      url: '/Ingestion/ingest',
      headers: { 'content-type': 'application/json', 'content-encoding': 'identity' },
      payload: JSON.stringify({ type: 'identity.check' }),
    });
    assert.equal(response.statusCode, 202);
  });

  it('answers 405 with Allow for an unsupported method', async () => {
    for (const method of ['DELETE', 'TRACE', 'PROPFIND'] as const) {
      const response = await harness.app.inject({ method, url: '/Ingestion/ingest' });
      assertProblem(response, 405, 'INGEST_METHOD_NOT_ALLOWED');
      assert.equal(response.headers['allow'], 'POST', method);
    }
  });

  it('rejects a charset other than UTF-8 with 415', async () => {
    const response = await post('/Ingestion/ingest', Buffer.from('{"type":"caf\xe9"}', 'latin1'), 'application/json; charset=ISO-8859-1');
    const problem = assertProblem(response, 415, 'INGEST_MEDIA_TYPE_UNSUPPORTED');
    assert.equal(problem['detail'], 'Unsupported media type. Charset ISO-8859-1 is not supported; send JSON as UTF-8 (RFC 8259).');
    const utf8 = await post('/Ingestion/ingest', JSON.stringify({ type: 'charset.check' }), 'application/json; charset="UTF-8"');
    assert.equal(utf8.statusCode, 202);
  });

  it('rejects an unparsable Content-Type with 415', async () => {
    const response = await post('/Ingestion/ingest', JSON.stringify({ type: 't' }), ';;;//');
    const problem = assertProblem(response, 415, 'INGEST_MEDIA_TYPE_UNSUPPORTED');
    assert.equal(problem['detail'], 'Unsupported media type. Content-Type ;;;// is not a valid media type; send a type and subtype, such as application/json.');
    assert.equal((problem['errors'] as { header: string }[])[0]?.header, 'content-type');
  });

  it('names the batch media types in a batch 415', async () => {
    const response = await post('/Ingestion/ingest/batch', JSON.stringify({ type: 't' }), 'application/cloudevents+json');
    const problem = assertProblem(response, 415, 'INGEST_MEDIA_TYPE_UNSUPPORTED');
    assert.equal(
      problem['detail'],
      'Unsupported media type. Content-Type application/cloudevents+json is not accepted here; send application/cloudevents-batch+json, or application/json.',
    );
  });

  it('answers 404 problem details for an unknown route', async () => {
    assertProblem(await harness.app.inject({ method: 'GET', url: '/nowhere' }), 404, 'INGEST_ROUTE_NOT_FOUND');
  });

  it('resend returns original id, clash 409', async () => {
    const event = { type: 'order.created', id: 'client-42', source: '/shop', data: { n: 1 } };
    const first = await post('/Ingestion/ingest', JSON.stringify(event));
    const again = await post('/Ingestion/ingest', JSON.stringify(event));
    assert.equal(first.statusCode, 202);
    assert.equal(again.statusCode, 202);
    assert.equal((again.json() as { id: string }).id, (first.json() as { id: string }).id);
    assert.equal((again.json() as { duplicate?: boolean }).duplicate, true);

    const clash = await post('/Ingestion/ingest', JSON.stringify({ ...event, data: { n: 2 } }));
    assertProblem(clash, 409, 'INGEST_EVENT_ID_CONFLICT');
    const stored = await harness.services.pool.query("SELECT 1 FROM events WHERE source = '/shop' AND cloud_event_id = 'client-42'");
    assert.equal(stored.rowCount, 1);
  });

  it('stores concurrent resends of one event once', async () => {
    const event = JSON.stringify({ type: 't', id: 'concurrent-1', source: '/race' });
    const responses = await Promise.all(Array.from({ length: 20 }, () => post('/Ingestion/ingest', event)));
    const ids = new Set(responses.map((response) => (response.json() as { id: string }).id));
    assert.ok(responses.every((response) => response.statusCode === 202));
    assert.equal(ids.size, 1);
    const stored = await harness.services.pool.query("SELECT 1 FROM outbox o JOIN events e ON e.id = o.event_id WHERE e.source = '/race'");
    assert.equal(stored.rowCount, 1);
  });

  it('commits a batch and reports each event', async () => {
    const response = await post('/Ingestion/ingest/batch', JSON.stringify([{ type: 'a' }, { type: 'b', data: [1] }]));
    assert.equal(response.statusCode, 202);
    const { results } = response.json() as { results: { index: number; id: string; status: string }[] };
    assert.deepEqual(results.map((result) => [result.index, result.status]), [[0, 'accepted'], [1, 'accepted']]);
  });

  it('rejects a whole batch when one event is invalid', async () => {
    const before = await countRows('events');
    const response = await post('/Ingestion/ingest/batch', JSON.stringify([{ type: 'a' }, { type: 7 }]));
    const problem = assertProblem(response, 400, 'INGEST_VALIDATION_FAILED');
    assert.deepEqual((problem['errors'] as { pointer: string }[]).map((issue) => issue.pointer), ['/1/type']);
    assert.equal(await countRows('events'), before);
  });

  it('coalesces concurrent requests into few transactions', async () => {
    const responses = await Promise.all(Array.from({ length: 200 }, (_, index) => post('/Ingestion/ingest', JSON.stringify({ type: 'burst', data: index }))));
    assert.ok(responses.every((response) => response.statusCode === 202));
    const stored = await harness.services.pool.query("SELECT count(*)::int AS count FROM events WHERE type = 'burst'");
    assert.equal(stored.rows[0].count, 200);
  });

  it('reports readiness of PostgreSQL and RabbitMQ', async () => {
    const live = await harness.app.inject({ method: 'GET', url: '/health/live' });
    assert.equal(live.statusCode, 200);
    const ready = await harness.app.inject({ method: 'GET', url: '/health/ready' });
    assert.equal(ready.statusCode, 200);
  });

  it('catalogues every code with a 4xx or 5xx status', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      assert.ok(entry.status >= 400, `${code} status ${entry.status} is below 400`);
      assert.ok(entry.status < 600, `${code} status ${entry.status} is 600 or above`);
      assert.ok(entry.fix.length > 0, code);
    }
  });
});
