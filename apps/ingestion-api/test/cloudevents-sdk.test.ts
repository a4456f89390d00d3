import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { CloudEvent, emitterFor, httpTransport, HTTP, Mode } from 'cloudevents';

import { createTestKey } from './support/api-keys.js';
import { startApiHarness, type ApiHarness } from './support/api-harness.js';

interface StoredRow {
  id: string;
  cloud_event_id: string;
  source: string;
  type: string;
  subject: string | null;
  time: string | null;
  data_content_type: string | null;
  data_schema: string | null;
  data: Buffer | null;
  extensions: Record<string, unknown>;
}

/** The official CloudEvents SDK as the client, in every content mode, against the API listening on a port. */
describe('CloudEvents SDK client', () => {
  let harness: ApiHarness;
  let url: string;
  let authorization: string;

  before(async () => {
    harness = await startApiHarness('sdk', { RELAY_ENABLED: 'false', AUTH_DISABLED: 'false' });
    await harness.app.listen({ host: '127.0.0.1', port: 0 });
    const address = harness.app.server.address() as { port: number };
    url = `http://127.0.0.1:${address.port}/Ingestion/ingest`;
    ({ authorization } = await createTestKey(harness.services.pool, ['ingest', 'read']));
  });
  after(() => harness?.close());

  async function emit(event: CloudEvent<unknown>, mode: Mode) {
    const emitter = emitterFor(httpTransport(url), { mode });
    return (await emitter(event, { headers: { authorization } })) as { body: string; headers: Record<string, string> };
  }

  async function storedBySourceAndId(source: string, id: string): Promise<StoredRow> {
    const result = await harness.services.pool.query<StoredRow>(
      `SELECT id, cloud_event_id, source, type, subject, time, data_content_type, data_schema, data, extensions
         FROM events WHERE source = $1 AND cloud_event_id = $2`,
      [source, id],
    );
    assert.equal(result.rowCount, 1, `expected one stored event ${source} ${id}`);
    return result.rows[0]!;
  }

  async function statusOf(id: string): Promise<string> {
    const response = await harness.app.inject({ method: 'GET', url: `/Ingestion/events/${id}`, headers: { authorization } });
    assert.equal(response.statusCode, 200, response.body);
    return response.body;
  }

  it('stores a binary-mode JSON event with its extensions', async () => {
    const event = new CloudEvent({
      id: 'sdk-binary-1',
      source: '/sdk/tests',
      type: 'order.created',
      subject: 'order/1',
      time: '2026-01-31T12:00:00.000Z',
      dataschema: 'https://shop.example/schemas/order.json',
      tenant: 'acme',
      data: { orderId: 'A-1', amountCents: 1250, currency: 'EUR' },
    });
    const response = await emit(event, Mode.BINARY);
    const { id } = JSON.parse(response.body) as { id: string };

    const stored = await storedBySourceAndId('/sdk/tests', 'sdk-binary-1');
    assert.equal(stored.id, id);
    assert.equal(stored.type, 'order.created');
    assert.equal(stored.subject, 'order/1');
    assert.equal(stored.time, '2026-01-31T12:00:00.000Z');
    assert.equal(stored.data_schema, 'https://shop.example/schemas/order.json');
    assert.equal(stored.data_content_type, 'application/json; charset=utf-8');
    assert.deepEqual(stored.extensions, { tenant: 'acme' });
    assert.equal(stored.data?.toString('utf8'), HTTP.binary(event).body);
  });

  it('stores a structured-mode event with its data text', async () => {
    const event = new CloudEvent({
      id: 'sdk-structured-1',
      source: 'urn:sdk:tests',
      type: 'order.created',
      priority: 7,
      flagged: true,
      data: { z: 1, a: [1.5, 'é', null] },
    });
    const response = await emit(event, Mode.STRUCTURED);
    const { id } = JSON.parse(response.body) as { id: string };

    const stored = await storedBySourceAndId('urn:sdk:tests', 'sdk-structured-1');
    assert.equal(stored.id, id);
    assert.deepEqual(stored.extensions, { priority: 7, flagged: true });
    assert.equal(stored.data?.toString('utf8'), '{"z":1,"a":[1.5,"é",null]}');
    assert.ok((await statusOf(id)).endsWith(',"data":{"z":1,"a":[1.5,"é",null]}}'));
  });

  it('stores binary data byte for byte in binary mode', async () => {
    const bytes = new Uint8Array([0, 1, 2, 0xfe, 0xff, 0x80, 0x0a]);
    const event = new CloudEvent({ id: 'sdk-bytes-1', source: '/sdk/tests', type: 'blob.stored', datacontenttype: 'application/octet-stream', data: bytes });
    const response = await emit(event, Mode.BINARY);
    const { id } = JSON.parse(response.body) as { id: string };

    const stored = await storedBySourceAndId('/sdk/tests', 'sdk-bytes-1');
    assert.deepEqual([...stored.data!], [...bytes]);
    assert.equal(stored.data_content_type, 'application/octet-stream');
    const status = JSON.parse(await statusOf(id)) as { data_base64: string };
    assert.equal(status.data_base64, Buffer.from(bytes).toString('base64'));
  });

  it('stores binary data from data_base64 in structured mode', async () => {
    const bytes = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
    const event = new CloudEvent({ id: 'sdk-bytes-2', source: '/sdk/tests', type: 'blob.stored', datacontenttype: 'image/png', data: bytes });
    await emit(event, Mode.STRUCTURED);
    const stored = await storedBySourceAndId('/sdk/tests', 'sdk-bytes-2');
    assert.deepEqual([...stored.data!], [...bytes]);
    assert.equal(stored.data_content_type, 'image/png');
  });

  it('stores text data with its content type in binary mode', async () => {
    const text = 'name,amount\nCafé,12.50\n';
    const event = new CloudEvent({ id: 'sdk-text-1', source: '/sdk/tests', type: 'report.csv', datacontenttype: 'text/csv; charset=utf-8', data: text });
    const response = await emit(event, Mode.BINARY);
    const { id } = JSON.parse(response.body) as { id: string };

    const stored = await storedBySourceAndId('/sdk/tests', 'sdk-text-1');
    assert.equal(stored.data?.toString('utf8'), text);
    assert.equal(stored.data_content_type, 'text/csv; charset=utf-8');
    assert.equal((JSON.parse(await statusOf(id)) as { data: string }).data, text);
  });

  it('stores a batch in one request', async () => {
    const events = [1, 2, 3].map((n) => new CloudEvent({ id: `sdk-batch-${n}`, source: '/sdk/batch', type: 'order.created', data: { n } }));
    const transport = httpTransport(url);
    const response = (await transport(
      { headers: { 'content-type': 'application/cloudevents-batch+json' }, body: JSON.stringify(events) },
      { headers: { authorization } },
    )) as { body: string };
    const { results } = JSON.parse(response.body) as { results: { index: number; status: string }[] };
    assert.deepEqual(results.map((result) => result.status), ['accepted', 'accepted', 'accepted']);
    for (const n of [1, 2, 3]) {
      assert.equal((await storedBySourceAndId('/sdk/batch', `sdk-batch-${n}`)).data?.toString(), `{"n":${n}}`);
    }
  });

  it('rejects an SDK event whose source is not a URI-reference', async () => {
    const event = new CloudEvent({ id: 'sdk-bad-1', source: 'has space', type: 't', data: {} }, false);
    const response = await emit(event, Mode.BINARY);
    const problem = JSON.parse(response.body) as { code: string; errors: { pointer: string; header?: string }[] };
    assert.equal(problem.code, 'INGEST_VALIDATION_FAILED');
    assert.deepEqual(problem.errors.map((issue) => [issue.pointer, issue.header]), [['/source', 'ce-source']]);
  });
});
