import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { startService, waitFor, type ServiceProcess } from '@ingestion/core/testing';

import { CAPTURE_TYPE } from './support/capture-handler.js';
import { startApiHarness, type ApiHarness } from './support/api-harness.js';

const WORKER_MAIN = fileURLToPath(new URL('../../../processor-worker/dist/src/main.js', import.meta.url));
const CAPTURE_MODULE = fileURLToPath(new URL('./support/capture-handler.js', import.meta.url));

/** JSON documents whose text JSON.parse and JSON.stringify would change; each must come back as sent. */
const JSON_DOCUMENTS: Record<string, string> = {
  'integer beyond 2^53': '12345678901234567890123456789',
  'decimal with trailing zeros': '{"amount":1.10,"rate":0.000000000000000000001}',
  'exponents and negative zero': '[1E+2,1e-7,-0,-0.0,5e0]',
  'key order and duplicate keys': '{"z":1,"a":2,"m":{"b":1,"a":2},"a":3}',
  'escapes and characters': '{"s":"\\u00e9\\ud83d\\ude00 é 😀 \\"\\\\\\/\\b\\f\\n\\r\\t","lone":"\\ud800"}',
  'whitespace inside': '{ "a" : [ 1 ,\n\t2 ] }',
  'null data': 'null',
  'long string': JSON.stringify('x'.repeat(100_000)),
  'deep nesting at the limit': `${'['.repeat(63)}0${']'.repeat(63)}`,
};

describe('faithful data from request to handler', () => {
  let harness: ApiHarness;
  let worker: ServiceProcess;
  const sent: { id: string; contentType: string; bytes: Buffer }[] = [];

  before(async () => {
    harness = await startApiHarness('fidelity', { INGEST_BODY_LIMIT_BYTES: String(4 * 1024 * 1024) });
    await harness.services.pool.query(
      'CREATE TABLE captured_events (event_id uuid PRIMARY KEY, data_content_type text, data bytea, extensions jsonb)',
    );
    worker = startService(WORKER_MAIN, { ...harness.environment.env, WORKER_HANDLER_MODULES: CAPTURE_MODULE, LOG_LEVEL: 'warn' });
  });
  after(async () => {
    await worker?.stop();
    await harness?.close();
  });

  async function post(payload: Buffer | string, headers: Record<string, string>) {
    const response = await harness.app.inject({ method: 'POST', url: '/Ingestion/ingest', payload, headers });
    assert.equal(response.statusCode, 202, response.body);
    return (response.json() as { id: string }).id;
  }

  it('accepts JSON data in structured mode and binary mode', async () => {
    for (const [name, text] of Object.entries(JSON_DOCUMENTS)) {
      const structured = await post(`{"specversion":"1.0","id":"s-${name}","source":"/fidelity","type":"${CAPTURE_TYPE}","data":${text}}`, {
        'content-type': 'application/cloudevents+json',
      });
      sent.push({ id: structured, contentType: 'application/json', bytes: Buffer.from(text, 'utf8') });
      const binary = await post(text, {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': `b-${encodeURIComponent(name)}`,
        'ce-source': '/fidelity',
        'ce-type': CAPTURE_TYPE,
      });
      sent.push({ id: binary, contentType: 'application/json', bytes: Buffer.from(text, 'utf8') });
    }
  });

  it('accepts binary and text data in binary mode', async () => {
    const payloads: [string, Buffer][] = [
      ['application/octet-stream', Buffer.from([0, 0xff, 0xfe, 0x80, 0x0d, 0x0a, 0])],
      ['text/plain; charset=utf-8', Buffer.from('\ufeffbyte order mark, NUL \u0000 and é', 'utf8')],
      ['application/xml', Buffer.from('<order id="1"><amount>1.10</amount></order>')],
    ];
    for (const [contentType, bytes] of payloads) {
      const id = await post(bytes, { 'content-type': contentType, 'ce-specversion': '1.0', 'ce-id': `raw-${contentType}`, 'ce-source': '/fidelity', 'ce-type': CAPTURE_TYPE });
      sent.push({ id, contentType, bytes });
    }
  });

  it('returns the data as sent from the status endpoint', async () => {
    for (const event of sent) {
      const response = await harness.app.inject({ method: 'GET', url: `/Ingestion/events/${event.id}` });
      const status = response.json() as { data?: unknown; data_base64?: string; datacontenttype: string };
      assert.equal(status.datacontenttype, event.contentType);
      if (event.contentType === 'application/json') {
        assert.ok(response.body.endsWith(`,"data":${event.bytes.toString('utf8')}}`), `status of ${event.bytes.toString('utf8').slice(0, 60)}`);
      } else if (status.data_base64 !== undefined) {
        assert.deepEqual(Buffer.from(status.data_base64, 'base64'), event.bytes);
      } else {
        assert.deepEqual(Buffer.from(status.data as string, 'utf8'), event.bytes);
      }
    }
  });

  it('hands the handler the bytes and content type that were sent', async () => {
    const captured = await waitFor(
      'the worker to capture every event',
      async () => {
        const result = await harness.services.pool.query<{ event_id: string; data_content_type: string; data: Buffer }>(
          'SELECT event_id, data_content_type, data FROM captured_events',
        );
        return result.rowCount === sent.length ? result.rows : undefined;
      },
      60_000,
    ).catch((error: unknown) => assert.fail(`${String(error)}\nworker output:\n${worker.output()}`));
    const byId = new Map(captured.map((row) => [row.event_id, row]));
    for (const event of sent) {
      const row = byId.get(event.id);
      assert.ok(row !== undefined, `event ${event.id} was not handled`);
      assert.equal(row.data_content_type, event.contentType);
      assert.ok(row.data.equals(event.bytes), `data of ${event.id} changed: ${row.data.toString('utf8').slice(0, 80)}`);
    }
  });
});
