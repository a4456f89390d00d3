import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { LIMITS } from '@ingestion/core';

import { startApiHarness, type ApiHarness } from './support/api-harness.js';

const BODY_LIMIT_BYTES = 8192;
const BATCH_MAX_EVENTS = 4;

const binaryHeaders = { 'ce-specversion': '1.0', 'ce-id': 'limit-1', 'ce-source': '/limits', 'ce-type': 'limit.check' };

/** Each documented limit, just past it: the status, the code and the pointer of the response. */
const OVER_LIMIT: [name: string, request: { url?: string; headers: Record<string, string>; body: string }, status: number, code: string, pointer: string | undefined][] = [
  ['a body over the size limit', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 't', data: 'x'.repeat(BODY_LIMIT_BYTES) }) }, 413, 'INGEST_BODY_TOO_LARGE', undefined],
  [
    'a batch over the event limit',
    { url: '/Ingestion/ingest/batch', headers: { 'content-type': 'application/json' }, body: JSON.stringify(Array.from({ length: BATCH_MAX_EVENTS + 1 }, () => ({ type: 't' }))) },
    413,
    'INGEST_BATCH_TOO_LARGE',
    '',
  ],
  [
    'nesting over the depth limit',
    { headers: { 'content-type': 'application/json' }, body: `{"type":"t","data":${'['.repeat(LIMITS.maxNestingDepth)}${']'.repeat(LIMITS.maxNestingDepth)}}` },
    400,
    'INGEST_BODY_TOO_DEEP',
    '',
  ],
  [
    'binary JSON data over the depth limit',
    { headers: { ...binaryHeaders, 'content-type': 'application/json' }, body: `${'['.repeat(LIMITS.maxNestingDepth + 1)}${']'.repeat(LIMITS.maxNestingDepth + 1)}` },
    400,
    'INGEST_BODY_TOO_DEEP',
    '/data',
  ],
  ['a type over 255 bytes', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'é'.repeat(128) }) }, 400, 'INGEST_VALIDATION_FAILED', '/type'],
  ['an id over its length', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 't', id: 'i'.repeat(LIMITS.idMaxLength + 1) }) }, 400, 'INGEST_VALIDATION_FAILED', '/id'],
  ['a source over its length', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 't', source: `/${'s'.repeat(LIMITS.sourceMaxLength)}` }) }, 400, 'INGEST_VALIDATION_FAILED', '/source'],
  ['a subject over its length', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 't', subject: 's'.repeat(LIMITS.subjectMaxLength + 1) }) }, 400, 'INGEST_VALIDATION_FAILED', '/subject'],
  [
    'a dataschema over its length',
    { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 't', dataschema: `https://a.example/${'d'.repeat(LIMITS.dataSchemaMaxLength)}` }) },
    400,
    'INGEST_VALIDATION_FAILED',
    '/dataschema',
  ],
  [
    'a content type over its length',
    { headers: { ...binaryHeaders, 'content-type': `text/plain; x=${'v'.repeat(LIMITS.dataContentTypeMaxLength)}` }, body: 'x' },
    400,
    'INGEST_VALIDATION_FAILED',
    '/datacontenttype',
  ],
  [
    'too many extension attributes',
    { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 't', ...Object.fromEntries(Array.from({ length: LIMITS.maxExtensions + 1 }, (_, n) => [`ext${n}`, n])) }) },
    400,
    'INGEST_VALIDATION_FAILED',
    '',
  ],
  ['an extension name over 20 characters', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 't', ['e'.repeat(21)]: 1 }) }, 400, 'INGEST_VALIDATION_FAILED', `/${'e'.repeat(21)}`],
  [
    'an extension value over its length',
    { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 't', tenant: 'v'.repeat(LIMITS.extensionValueMaxLength + 1) }) },
    400,
    'INGEST_VALIDATION_FAILED',
    '/tenant',
  ],
  ['text without ce-* headers', { headers: { 'content-type': 'text/plain' }, body: 'hello' }, 415, 'INGEST_MEDIA_TYPE_UNSUPPORTED', ''],
  ['no Content-Type and no ce-* headers', { headers: {}, body: '{"type":"t"}' }, 415, 'INGEST_MEDIA_TYPE_UNSUPPORTED', ''],
  [
    'a structured event on the batch endpoint',
    { url: '/Ingestion/ingest/batch', headers: { 'content-type': 'application/cloudevents+json' }, body: '{"specversion":"1.0","id":"1","source":"/s","type":"t"}' },
    415,
    'INGEST_MEDIA_TYPE_UNSUPPORTED',
    '',
  ],
];

describe('contract limits', () => {
  let harness: ApiHarness;

  before(async () => {
    harness = await startApiHarness('limits', {
      RELAY_ENABLED: 'false',
      INGEST_BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES),
      INGEST_BATCH_MAX_EVENTS: String(BATCH_MAX_EVENTS),
    });
  });
  after(() => harness?.close());

  const countEvents = async () => Number((await harness.services.pool.query('SELECT count(*) FROM events')).rows[0].count);

  for (const [name, request, status, code, pointer] of OVER_LIMIT) {
    it(`rejects ${name} with ${status}`, async () => {
      const before = await countEvents();
      const response = await harness.app.inject({ method: 'POST', url: request.url ?? '/Ingestion/ingest', headers: request.headers, payload: request.body });
      assert.equal(response.statusCode, status, response.body);
      const problem = response.json() as { code: string; errors?: { pointer: string }[] };
      assert.equal(problem.code, code);
      if (pointer !== undefined) assert.deepEqual(problem.errors?.map((issue) => issue.pointer), [pointer]);
      assert.equal(await countEvents(), before);
    });
  }

  it('accepts each attribute at its limit', async () => {
    const event = {
      type: 'é'.repeat(127),
      id: 'i'.repeat(LIMITS.idMaxLength),
      source: `/${'s'.repeat(LIMITS.sourceMaxLength - 1)}`,
      subject: 's'.repeat(LIMITS.subjectMaxLength),
      ...Object.fromEntries(Array.from({ length: LIMITS.maxExtensions }, (_, n) => [`ext${n}`, 'v'.repeat(100)])),
      data: JSON.parse(`${'['.repeat(LIMITS.maxNestingDepth - 1)}${']'.repeat(LIMITS.maxNestingDepth - 1)}`) as unknown,
    };
    const response = await harness.app.inject({ method: 'POST', url: '/Ingestion/ingest', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(event) });
    assert.equal(response.statusCode, 202, response.body);
  });

  it('accepts a batch at the event limit', async () => {
    const batch = Array.from({ length: BATCH_MAX_EVENTS }, (_, n) => ({ specversion: '1.0', id: `limit-batch-${n}`, source: '/limits', type: 't' }));
    const response = await harness.app.inject({
      method: 'POST',
      url: '/Ingestion/ingest/batch',
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      payload: JSON.stringify(batch),
    });
    assert.equal(response.statusCode, 202, response.body);
  });

  it('accepts binary mode without a Content-Type', async () => {
    const response = await harness.app.inject({ method: 'POST', url: '/Ingestion/ingest', headers: { ...binaryHeaders, 'ce-id': 'no-type' }, payload: 'raw' });
    assert.equal(response.statusCode, 202, response.body);
    const stored = await harness.services.pool.query('SELECT data, data_content_type FROM events WHERE cloud_event_id = $1', ['no-type']);
    assert.equal(stored.rows[0].data.toString(), 'raw');
    assert.equal(stored.rows[0].data_content_type, null);
  });

  it('answers 405 with Allow on the batch endpoint', async () => {
    const response = await harness.app.inject({ method: 'PUT', url: '/Ingestion/ingest/batch' });
    assert.equal(response.statusCode, 405);
    assert.equal(response.headers['allow'], 'POST');
  });

  it('rejects headers over 16 KiB with 431', async () => {
    await harness.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = harness.app.server.address() as { port: number };
    const response = await fetch(`http://127.0.0.1:${port}/Ingestion/ingest`, {
      method: 'POST',
      headers: { ...binaryHeaders, 'ce-subject': 's'.repeat(17 * 1024) },
      body: 'x',
    });
    assert.equal(response.status, 431);
  });
});
