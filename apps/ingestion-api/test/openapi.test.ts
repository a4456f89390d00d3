import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { ContractViolation, ERROR_CATALOGUE, eventFromStructured, parseJsonBody } from '@ingestion/core';
import Schema from 'typebox/schema';

import { startApiHarness, type ApiHarness } from './support/api-harness.js';

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: object }> }; security?: unknown[] }>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
}

/** Events in structured mode, each valid or not; the published schema must judge them as the API does. */
const SAMPLES = [
  '{"specversion":"1.0","id":"1","source":"/s","type":"t"}',
  '{"specversion":"1.0","id":"1","source":"/s","type":"t","time":"2026-01-31T12:00:00Z","tenant":"acme","priority":3,"data":{"a":1}}',
  '{"specversion":"1.0","id":"1","source":"https://a.example/b","type":"t","datacontenttype":"text/plain","data":"x"}',
  '{"specversion":"1.0","id":"1","source":"/s","type":"t","data_base64":"AAEC"}',
  '{"specversion":"1.0","id":"1","source":"a b","type":"t"}',
  '{"specversion":"0.3","id":"1","source":"/s","type":"t"}',
  '{"specversion":"1.0","source":"/s","type":"t"}',
  '{"specversion":"1.0","id":"1","source":"/s","type":"t","time":"2026-02-30T00:00:00Z"}',
  '{"specversion":"1.0","id":"1","source":"/s","type":"t","Tenant":"x"}',
  '{"specversion":"1.0","id":"1","source":"/s","type":"t","count":2147483648}',
  '{"specversion":"1.0","id":"1","source":"/s","type":"t","data":1,"data_base64":"AA=="}',
  '{"specversion":"1.0","id":"1","source":"/s","type":"t","dataschema":"relative/path"}',
  '{"specversion":"1.0","id":"1","source":"/s","type":"t","datacontenttype":"json"}',
];

function acceptedByContract(body: string): boolean {
  try {
    const { value, text } = parseJsonBody(Buffer.from(body));
    eventFromStructured(value, text, { pointerPrefix: '', format: 'cloudevents' });
    return true;
  } catch (error) {
    if (error instanceof ContractViolation) return false;
    throw error;
  }
}

describe('API reference', () => {
  let harness: ApiHarness;
  let document: OpenApiDocument;

  before(async () => {
    harness = await startApiHarness('openapi', { RELAY_ENABLED: 'false', AUTH_DISABLED: 'false' });
    const response = await harness.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(response.statusCode, 200);
    document = response.json() as OpenApiDocument;
  });
  after(() => harness?.close());

  it('publishes OpenAPI 3.1 with every route and bearer keys', () => {
    assert.equal(document.openapi, '3.1.0');
    assert.deepEqual(Object.keys(document.paths).sort(), [
      '/Ingestion/events/replay',
      '/Ingestion/events/{id}',
      '/Ingestion/events/{id}/replay',
      '/Ingestion/ingest',
      '/Ingestion/ingest/batch',
      '/health/live',
      '/health/ready',
      '/problems/{type}',
    ]);
    assert.deepEqual(document.components.securitySchemes['apiKey'], {
      type: 'http',
      scheme: 'bearer',
      description: 'An API key: `Authorization: Bearer <key>`.',
    });
    const ingestBody = document.paths['/Ingestion/ingest']!['post']!.requestBody!;
    assert.deepEqual(Object.keys(ingestBody.content).sort(), [
      '*/*',
      'application/cloudevents+json',
      'application/cloudevents-batch+json',
      'application/json',
    ]);
  });

  it('publishes the event schema that the API validates with', () => {
    const schema = document.paths['/Ingestion/ingest']!['post']!.requestBody!.content['application/cloudevents+json']!.schema;
    const validator = Schema.Compile(schema as Parameters<typeof Schema.Compile>[0]);
    for (const body of SAMPLES) {
      assert.equal(validator.Check(JSON.parse(body)), acceptedByContract(body), body);
    }
  });

  it('resolves the type of a problem to its catalogue entry', async () => {
    const problem = await harness.app.inject({ method: 'POST', url: '/Ingestion/ingest' });
    const { type } = problem.json() as { type: string };
    const entry = await harness.app.inject({ method: 'GET', url: type });
    assert.equal(entry.statusCode, 200);
    assert.deepEqual(entry.json(), { code: 'INGEST_API_KEY_MISSING', ...ERROR_CATALOGUE.INGEST_API_KEY_MISSING });
  });

  it('serves the browsable reference from the API itself', async () => {
    const page = await harness.app.inject({ method: 'GET', url: '/docs' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    const sources = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    assert.ok(sources.length > 0);
    for (const source of sources) {
      assert.ok(source.startsWith('/docs/'), `${source} is not served locally`);
      assert.equal((await harness.app.inject({ method: 'GET', url: source })).statusCode, 200, source);
    }
  });
});
