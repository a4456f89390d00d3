import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { createIsolatedEnvironment, freePort, waitFor, type IsolatedEnvironment } from '@ingestion/core/testing';
import pg from 'pg';

import { OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.js';
import { API_MAIN, WORKER_MAIN } from './support/repo-paths.js';
import { ServiceProcess } from './support/service-process.js';

const FLAKY_HANDLER = fileURLToPath(new URL('./support/flaky-handler.js', import.meta.url));

/** The client's own trace: the API must continue it rather than start a new one. */
const CLIENT_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN_ID = '00f067aa0ba902b7';

describe('pipeline observed across processes', () => {
  let environment: IsolatedEnvironment;
  let receiver: OtlpReceiver;
  let api: ServiceProcess;
  let worker: ServiceProcess;
  let pool: pg.Pool;
  let eventId: string;

  before(async () => {
    environment = await createIsolatedEnvironment('observability');
    receiver = await OtlpReceiver.start();
    pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 2 });
    const common = {
      ...environment.env,
      HOST: '127.0.0.1',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    };
    const apiPort = await freePort();
    const workerPort = await freePort();
    api = ServiceProcess.start('api', API_MAIN, { ...common, PORT: String(apiPort) }, `http://127.0.0.1:${apiPort}`);
    worker = ServiceProcess.start(
      'worker',
      WORKER_MAIN,
      {
        ...common,
        WORKER_HTTP_PORT: String(workerPort),
        WORKER_HANDLER_MODULES: FLAKY_HANDLER,
        WORKER_RETRY_BASE_DELAY_MS: '50',
        WORKER_RETRY_MAX_DELAY_MS: '100',
      },
      `http://127.0.0.1:${workerPort}`,
    );
    await Promise.all([api.waitUntilReady(), worker.waitUntilReady()]);

    const response = await fetch(`${api.baseUrl}/Ingestion/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${CLIENT_TRACE_ID}-${CLIENT_SPAN_ID}-01` },
      body: JSON.stringify({ type: 'test.flaky', source: '/tests/observability', data: { n: 1 } }),
    });
    assert.equal(response.status, 202);
    eventId = ((await response.json()) as { id: string }).id;
    await waitForStatus(eventId, 'processed', 2);
  });

  after(async () => {
    await api?.stop().catch(() => undefined);
    await worker?.stop().catch(() => undefined);
    await pool?.end();
    await receiver?.close();
    await environment?.cleanup();
  });

  async function waitForStatus(id: string, status: string, attempts: number): Promise<void> {
    await waitFor(`event ${id} to be ${status} after ${attempts} attempts`, async () => {
      const result = await pool.query<{ status: string; attempts: number }>('SELECT status, attempts FROM events WHERE id = $1', [id]);
      const row = result.rows[0];
      return row?.status === status && row.attempts === attempts ? true : undefined;
    });
  }

  async function scrape(baseUrl: string): Promise<string> {
    const response = await fetch(`${baseUrl}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return response.text();
  }

  /** Returns the value of one sample line, such as `name{label="x"} 3`, or undefined when absent. */
  function sample(text: string, series: string): number | undefined {
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  }

  it('serves the API metrics', async () => {
    const text = await scrape(api.baseUrl);
    assert.equal(sample(text, 'ingestion_ingest_requests_total{endpoint="single",outcome="accepted",status_code="202"}'), 1);
    assert.equal(sample(text, 'ingestion_ingest_events_total{result="created"}'), 1);
    assert.equal(sample(text, 'ingestion_group_commit_batch_events_count'), 1);
    assert.ok((sample(text, 'ingestion_relay_events_total{kind="process",result="confirmed"}') ?? 0) >= 2, 'first delivery and retry');
    assert.ok((sample(text, 'ingestion_relay_confirm_duration_seconds_count') ?? 0) >= 2);
    assert.equal(sample(text, 'ingestion_outbox_backlog_rows'), 0);
    assert.equal(sample(text, 'ingestion_outbox_oldest_age_seconds'), 0);
    assert.notEqual(sample(text, 'ingestion_outbox_scheduled_rows'), undefined);
    assert.match(text, /^ingestion_http_request_duration_seconds_bucket\{le="0\.1",method="POST",route="\/Ingestion\/ingest",status_code="202"\} 1$/m);
    assert.match(text, /^nodejs_eventloop_lag_p99_seconds /m);
    assert.match(text, /^process_cpu_seconds_total /m);
  });

  it('serves the worker metrics and queue gauges', async () => {
    const text = await scrape(worker.baseUrl);
    assert.equal(sample(text, 'ingestion_processing_duration_seconds_count{type="test.flaky",outcome="retry"}'), 1);
    assert.equal(sample(text, 'ingestion_processing_duration_seconds_count{type="test.flaky",outcome="processed"}'), 1);
    assert.equal(sample(text, 'ingestion_retries_scheduled_total{type="test.flaky"}'), 1);
    assert.equal(sample(text, 'ingestion_end_to_end_latency_seconds_count{type="test.flaky"}'), 1);
    assert.equal(sample(text, `ingestion_rabbitmq_queue_consumers{queue="${environment.names.processQueue}"}`), 1);
    assert.equal(sample(text, `ingestion_rabbitmq_queue_messages{queue="${environment.names.deadLetterQueue}"}`), 0);
    assert.match(text, /^nodejs_eventloop_lag_p99_seconds /m);
  });

  it('answers the worker health probes', async () => {
    const live = await fetch(`${worker.baseUrl}/health/live`);
    assert.equal(live.status, 200);
    const ready = await fetch(`${worker.baseUrl}/health/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(((await ready.json()) as { checks: unknown }).checks, { database: true, broker: true, consuming: true, shuttingDown: false });
    const missing = await fetch(`${worker.baseUrl}/nothing`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { code: string }).code, 'INGEST_ROUTE_NOT_FOUND');
    const post = await fetch(`${worker.baseUrl}/metrics`, { method: 'POST' });
    assert.equal(post.status, 405);
  });

  it('logs the event id with the trace id', () => {
    const retryLine = worker.logRecords().find((record) => record['msg'] === 'handler failed; retry scheduled');
    assert.ok(retryLine, worker.logTail());
    assert.equal(retryLine['eventId'], eventId);
    assert.equal(retryLine['traceId'], CLIENT_TRACE_ID);
    const handlerLine = worker.logRecords().find((record) => record['msg'] === 'flaky event handled');
    assert.ok(handlerLine, worker.logTail());
    assert.equal(handlerLine['eventId'], eventId);
    assert.equal(handlerLine['traceId'], CLIENT_TRACE_ID);
  });

  it('keeps one trace from ingest through retry and replay to the handler', async (t) => {
    // A replay queues a delivery without a traceparent of its own; the relay falls back to the event's.
    await pool.query(`UPDATE events SET status = 'accepted' WHERE id = $1`, [eventId]);
    await pool.query('INSERT INTO outbox (event_id, delivery_seq) SELECT id, delivery_seq FROM events WHERE id = $1', [eventId]);
    await waitForStatus(eventId, 'processed', 3);

    // Stopping flushes the spans each process still buffers.
    assert.equal(await api.stop(), 0);
    assert.equal(await worker.stop(), 0);
    const spans = receiver.spans.filter((span) => span.traceId === CLIENT_TRACE_ID);
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const parentOf = (span: ReceivedSpan) => byId.get(span.parentSpanId);
    const named = (prefix: string) => spans.filter((span) => span.name.startsWith(prefix));

    const [request] = named('POST /Ingestion/ingest');
    assert.ok(request, `no request span among ${spans.map((span) => span.name).join(', ')}`);
    assert.equal(request.service, 'ingestion-api');
    assert.equal(request.parentSpanId, CLIENT_SPAN_ID);

    const [commit] = named('group commit');
    assert.equal(parentOf(commit!), request);

    const publishes = named(`${environment.names.eventsExchange} publish`);
    const deliveries = named('process test.flaky');
    const handlers = named('handle test.flaky');
    assert.equal(publishes.length, 3, 'first delivery, retry, replay');
    assert.equal(deliveries.length, 3);
    assert.equal(handlers.length, 3);
    for (const delivery of deliveries) {
      assert.equal(delivery.service, 'processor-worker');
      assert.ok(publishes.includes(parentOf(delivery)!), 'each delivery continues a publish span');
    }
    for (const handler of handlers) assert.ok(deliveries.includes(parentOf(handler)!), 'each handler runs under a delivery');

    const parents = publishes.map((publish) => parentOf(publish)?.name).sort();
    assert.deepEqual(parents, ['group commit', 'group commit', 'process test.flaky'], 'first and replay from the commit, retry from the failed delivery');
    const firstPublish = publishes.find((publish) => parentOf(publish) === commit);
    assert.equal(firstPublish?.attributes['messaging.message.id'], eventId);
    t.diagnostic(`trace ${CLIENT_TRACE_ID}:\n${renderTree(spans, CLIENT_SPAN_ID)}`);
  });
});

/** Renders spans as an indented tree below `rootId`, in start order, for the test's diagnostic output. */
function renderTree(spans: readonly ReceivedSpan[], rootId: string, depth = 0): string {
  return spans
    .filter((span) => span.parentSpanId === rootId)
    .map((span) => `${'  '.repeat(depth)}${span.name} [${span.service}] ${span.spanId}\n${renderTree(spans, span.spanId, depth + 1)}`)
    .join('');
}
