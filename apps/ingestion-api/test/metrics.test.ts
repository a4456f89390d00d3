import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startApiHarness, type ApiHarness } from './support/api-harness.js';
import { sampleValue as sample } from './support/prometheus-text.js';

describe('API metrics', () => {
  let harness: ApiHarness;

  before(async () => {
    harness = await startApiHarness('metrics', { RELAY_ENABLED: 'false' });
  });
  after(() => harness?.close());

  const post = (url: string, payload: string, contentType = 'application/json') =>
    harness.app.inject({ method: 'POST', url, payload, headers: { 'content-type': contentType } });

  async function scrape(): Promise<string> {
    const response = await harness.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    return response.body;
  }

  it('counts ingest requests by outcome and status', async () => {
    assert.equal((await post('/Ingestion/ingest', '{"type":"t.metrics"}')).statusCode, 202);
    assert.equal((await post('/Ingestion/ingest', '{"type":""}')).statusCode, 400);
    assert.equal((await post('/Ingestion/ingest', '{"type":"t"}', 'text/plain')).statusCode, 415);
    assert.equal((await post('/Ingestion/ingest/batch', '[{"type":"t.a"},{"type":"t.b"}]')).statusCode, 202);

    const text = await scrape();
    assert.equal(sample(text, 'ingestion_ingest_requests_total{endpoint="single",outcome="accepted",status_code="202"}'), 1);
    assert.equal(sample(text, 'ingestion_ingest_requests_total{endpoint="single",outcome="INGEST_VALIDATION_FAILED",status_code="400"}'), 1);
    assert.equal(sample(text, 'ingestion_ingest_requests_total{endpoint="single",outcome="INGEST_MEDIA_TYPE_UNSUPPORTED",status_code="415"}'), 1);
    assert.equal(sample(text, 'ingestion_ingest_requests_total{endpoint="batch",outcome="accepted",status_code="202"}'), 1);
    assert.equal(sample(text, 'ingestion_ingest_events_total{result="created"}'), 3);
  });

  it('counts resent events as duplicates', async () => {
    const event = '{"type":"t.resent","id":"resent-1","source":"/tests/metrics"}';
    await post('/Ingestion/ingest', event);
    await post('/Ingestion/ingest', event);
    assert.equal(sample(await scrape(), 'ingestion_ingest_events_total{result="duplicate"}'), 1);
  });

  it('records group-commit batches and request latency', async () => {
    const text = await scrape();
    assert.ok((sample(text, 'ingestion_group_commit_batch_events_count') ?? 0) >= 3);
    assert.ok((sample(text, 'ingestion_group_commit_duration_seconds_count{result="committed"}') ?? 0) >= 3);
    assert.ok((sample(text, 'ingestion_http_request_duration_seconds_count{method="POST",route="/Ingestion/ingest",status_code="202"}') ?? 0) >= 1);
  });

  it('serves the relay metrics without a relay', async () => {
    const text = await scrape();
    assert.match(text, /^# TYPE ingestion_relay_events_total counter$/m);
    assert.match(text, /^# TYPE ingestion_relay_confirm_duration_seconds histogram$/m);
    assert.match(text, /^# TYPE ingestion_outbox_backlog_rows gauge$/m);
  });

  it('rejects other methods on /metrics', async () => {
    const response = await harness.app.inject({ method: 'POST', url: '/metrics' });
    assert.equal(response.statusCode, 405);
  });
});
