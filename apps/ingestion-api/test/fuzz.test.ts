import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { isJsonMediaType } from '@ingestion/core';
import fc from 'fast-check';

import { createTestKey } from './support/api-keys.js';
import { startApiHarness, type ApiHarness } from './support/api-harness.js';

/** Runs of the property; FUZZ_RUNS and FUZZ_SEED override them to search longer or replay a failure. */
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 400);
const SEED = Number(process.env['FUZZ_SEED'] ?? 20_260_131);

/** A generated request, and the data bytes each event must be stored with if the API accepts it. */
interface FuzzRequest {
  readonly method: 'POST' | 'GET' | 'PUT' | 'DELETE';
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  /** Expected stored data per event, in order; undefined when the request is not modelled. */
  readonly expected: (Buffer | null)[] | undefined;
}

const STANDARD_NAMES = new Set(['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'dataschema', 'data', 'data_base64']);

/** JSON texts whose numbers, strings, spacing and key order JSON.parse followed by JSON.stringify would change. */
const jsonText = fc.oneof(
  fc.json({ stringUnit: 'binary', depthSize: 'small' }),
  fc.constantFrom('1.0', '1E+2', '-0', '12345678901234567890123', '0.1e-5', '{ "b" : 1.50 , "a" : [ true ,null ] , "b" : 2 }', '"\\ud800"', '[]'),
);

const contentTypes = fc.constantFrom(
  'application/json',
  'application/cloudevents+json',
  'application/cloudevents+json; charset=utf-8',
  'application/cloudevents-batch+json',
  'text/plain',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
  'json',
  '',
);

/** Attributes that are all valid, so that a good share of requests is accepted. */
const validAttributes = fc.record(
  {
    specversion: fc.constant('1.0'),
    id: fc.uuid(),
    source: fc.constantFrom('/fuzz', 'urn:fuzz', 'https://fuzz.example/a?b#c'),
    type: fc.constantFrom('fuzz.event', 'order.created'),
    subject: fc.string({ minLength: 1, maxLength: 8 }),
    time: fc.constantFrom('2026-01-31T12:00:00Z', '2026-01-31T12:00:00.123+01:00'),
    datacontenttype: fc.constantFrom('application/json', 'text/plain', 'application/octet-stream', 'application/vnd.x+json; charset=utf-8'),
  },
  { requiredKeys: ['specversion', 'id', 'source', 'type'] },
);

const anyAttributes = fc.record(
  {
    specversion: fc.constantFrom('1.0', '0.3', ''),
    id: fc.oneof(fc.uuid(), fc.string({ unit: 'binary', maxLength: 12 })),
    source: fc.constantFrom('/fuzz', 'urn:fuzz', 'https://fuzz.example/a?b#c', 'a b', '', '%zz', 'x'.repeat(1100)),
    type: fc.oneof(fc.constantFrom('fuzz.event', 'order.created', '', 'é'.repeat(200)), fc.string({ unit: 'binary', maxLength: 16 })),
    subject: fc.string({ unit: 'binary', maxLength: 8 }),
    time: fc.constantFrom('2026-01-31T12:00:00Z', '2026-02-30T00:00:00Z', '2026-01-31T12:00:00.123+01:00', 'yesterday'),
    datacontenttype: fc.constantFrom('application/json', 'text/plain', 'application/octet-stream', 'application/vnd.x+json; charset=utf-8', 'json'),
  },
  { requiredKeys: ['type'] },
);

const validExtensions = fc.dictionary(
  fc.stringMatching(/^[a-z0-9]{1,20}$/).filter((name) => !STANDARD_NAMES.has(name)),
  fc.oneof(fc.string({ maxLength: 10 }), fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }), fc.boolean()),
  { maxKeys: 3 },
);

const anyExtensions = fc.dictionary(
  fc.oneof(fc.stringMatching(/^[a-z0-9]{1,22}$/), fc.string({ maxLength: 6 })).filter((name) => !STANDARD_NAMES.has(name)),
  fc.oneof(fc.string({ unit: 'binary', maxLength: 10 }), fc.integer(), fc.boolean(), fc.double(), fc.constant(null)),
  { maxKeys: 3 },
);

const payload = fc.oneof(
  fc.record({ kind: fc.constant('data' as const), text: jsonText }),
  fc.record({ kind: fc.constant('base64' as const), bytes: fc.uint8Array({ maxLength: 40 }) }),
  fc.constant({ kind: 'none' as const }),
);

/** One event in JSON with the data bytes the contract must store for it. */
const structuredEvent = fc
  .oneof(fc.tuple(validAttributes, validExtensions, payload), fc.tuple(anyAttributes, anyExtensions, payload)).map(([attributeValues, extensionValues, data]) => {
  const members = [...Object.entries(attributeValues), ...Object.entries(extensionValues)].map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`);
  let expected: Buffer | null = null;
  if (data.kind === 'data') {
    members.push(`"data":${data.text}`);
    const parsed: unknown = JSON.parse(data.text);
    const contentType = attributeValues.datacontenttype;
    expected =
      contentType !== undefined && !isJsonMediaType(contentType) && typeof parsed === 'string' ? Buffer.from(parsed, 'utf8') : Buffer.from(data.text, 'utf8');
  } else if (data.kind === 'base64') {
    const bytes = Buffer.from(data.bytes);
    members.push(`"data_base64":${JSON.stringify(bytes.toString('base64'))}`);
    expected = bytes;
  }
  return { text: `{${members.join(',')}}`, expected };
});

const singleRequest = fc.tuple(structuredEvent, fc.oneof(fc.constantFrom('application/json', 'application/cloudevents+json'), contentTypes)).map(
  ([event, contentType]): FuzzRequest => ({
    method: 'POST',
    url: '/Ingestion/ingest',
    headers: contentType === '' ? {} : { 'content-type': contentType },
    body: Buffer.from(event.text, 'utf8'),
    expected: [event.expected],
  }),
);

const batchRequest = fc
  .tuple(fc.array(structuredEvent, { minLength: 0, maxLength: 7 }), fc.constantFrom('application/json', 'application/cloudevents-batch+json'), fc.boolean())
  .map(
    ([events, contentType, toBatchPath]): FuzzRequest => ({
      method: 'POST',
      url: toBatchPath ? '/Ingestion/ingest/batch' : '/Ingestion/ingest',
      headers: { 'content-type': contentType },
      body: Buffer.from(`[${events.map((event) => event.text).join(',')}]`, 'utf8'),
      expected: events.map((event) => event.expected),
    }),
  );

const headerValue = fc.oneof(fc.constantFrom('1.0', '/fuzz', 'fuzz.event', 'a%20b', '100%', '%C3%A9', '2026-01-31T12:00:00Z'), fc.string({ unit: 'binary-ascii', maxLength: 12 }));

const binaryRequest = fc
  .tuple(
    fc.uuid(),
    fc.dictionary(fc.constantFrom('specversion', 'id', 'source', 'type', 'subject', 'time', 'dataschema', 'datacontenttype', 'tenant', 'Bad_Name', 'x'.repeat(21)), headerValue, {
      maxKeys: 2,
    }),
    fc.oneof(contentTypes, fc.constantFrom('image/png', 'text/csv; charset=utf-8', 'application/problem+json')),
    fc.oneof(fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)), jsonText.map((text) => Buffer.from(text, 'utf8'))),
  )
  .map(([id, attributeHeaders, contentType, body]): FuzzRequest => {
    const headers: Record<string, string> = { 'ce-specversion': '1.0', 'ce-id': id, 'ce-source': '/fuzz', 'ce-type': 'fuzz.event' };
    for (const [name, value] of Object.entries(attributeHeaders)) headers[`ce-${name}`] = value.replace(/[\r\n]/g, '');
    if (contentType !== '') headers['content-type'] = contentType;
    return { method: 'POST', url: '/Ingestion/ingest', headers, body, expected: [body.length === 0 ? null : body] };
  });

const otherRequest = fc
  .tuple(
    fc.constantFrom('POST', 'GET', 'PUT', 'DELETE'),
    fc.constantFrom('/Ingestion/ingest', '/Ingestion/ingest/batch', '/Ingestion/events/not-a-uuid', '/Ingestion/events/00000000-0000-7000-8000-000000000000', '/nowhere', '/openapi.json'),
    contentTypes,
    fc.uint8Array({ maxLength: 64 }),
  )
  .map(
    ([method, url, contentType, bytes]): FuzzRequest => ({
      method,
      url,
      headers: contentType === '' ? {} : { 'content-type': contentType },
      body: method === 'GET' ? Buffer.alloc(0) : Buffer.from(bytes),
      expected: undefined,
    }),
  );

const requests = fc.oneof(
  { arbitrary: singleRequest, weight: 4 },
  { arbitrary: batchRequest, weight: 2 },
  { arbitrary: binaryRequest, weight: 3 },
  { arbitrary: otherRequest, weight: 1 },
);

const authorizations = fc.oneof(
  { arbitrary: fc.constant('valid'), weight: 8 },
  { arbitrary: fc.constantFrom('missing', 'Bearer ik_unknown', 'Basic Zm9vOmJhcg=='), weight: 1 },
);

describe('fuzzing the ingest API', () => {
  let harness: ApiHarness;
  let validAuthorization: string;

  before(async () => {
    harness = await startApiHarness('fuzz', { RELAY_ENABLED: 'false', AUTH_DISABLED: 'false', INGEST_BODY_LIMIT_BYTES: '2048', INGEST_BATCH_MAX_EVENTS: '5' });
    ({ authorization: validAuthorization } = await createTestKey(harness.services.pool, ['ingest', 'read'], 1_000_000));
  });
  after(() => harness?.close());

  async function counts() {
    const result = await harness.services.pool.query<{ events: number; outbox: number }>(
      'SELECT (SELECT count(*)::int FROM events) AS events, (SELECT count(*)::int FROM outbox) AS outbox',
    );
    return result.rows[0]!;
  }

  /** Ids of the events a 202 response created, with their index in the request. */
  function createdEvents(body: unknown): { index: number; id: string }[] {
    const response = body as { id?: string; duplicate?: boolean; results?: { index: number; id: string; status: string; duplicate?: boolean }[] };
    if (response.results !== undefined) {
      return response.results.filter((result) => result.status === 'accepted' && result.duplicate !== true).map(({ index, id }) => ({ index, id }));
    }
    return response.duplicate === true ? [] : [{ index: 0, id: response.id! }];
  }

  it('never answers 5xx, stores accepted events as sent and nothing else', async (t) => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requests, authorizations, async (request, authorization) => {
        const headers = { ...request.headers };
        if (authorization === 'valid') headers['authorization'] = validAuthorization;
        else if (authorization !== 'missing') headers['authorization'] = authorization;

        const before = await counts();
        const response = await harness.app.inject({ method: request.method, url: request.url, headers, payload: request.body });
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        assert.ok(response.statusCode < 500, `${response.statusCode}: ${response.body}`);
        const after = await counts();

        if (response.statusCode >= 400 || request.method !== 'POST') {
          assert.deepEqual(after, before, `a ${response.statusCode} response changed the database`);
          return;
        }
        assert.equal(response.statusCode, 202, response.body);
        const created = createdEvents(response.json());
        assert.deepEqual(after, { events: before.events + created.length, outbox: before.outbox + created.length });
        for (const { index, id } of created) {
          const stored = await harness.services.pool.query<{ data: Buffer | null }>('SELECT data FROM events WHERE id = $1', [id]);
          const expected = request.expected?.[index];
          assert.notEqual(expected, undefined, 'an unmodelled request was accepted');
          assert.deepEqual(stored.rows[0]?.data ?? null, expected, `data of event ${index} changed`);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
    t.diagnostic(`responses by status: ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`);
    // The generators must reach both outcomes, or the property proves little.
    const accepted = statuses.get(202) ?? 0;
    const rejected = [...statuses].filter(([status]) => status >= 400).reduce((sum, [, count]) => sum + count, 0);
    assert.ok(accepted > RUNS / 20, `only ${accepted} requests were accepted: ${JSON.stringify([...statuses])}`);
    assert.ok(rejected > RUNS / 20, `only ${rejected} requests were rejected: ${JSON.stringify([...statuses])}`);
  });
});
