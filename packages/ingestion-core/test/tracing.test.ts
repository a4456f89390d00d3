import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';

import {
  activeTraceFields,
  contextFromTraceparent,
  createLogger,
  extractTraceHeaders,
  injectTraceHeaders,
  loadConfig,
  startSpan,
  startTracing,
  traceIdOf,
  traceparentOf,
} from '../src/index.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('trace context', () => {
  it('round-trips a traceparent', () => {
    assert.equal(traceparentOf(contextFromTraceparent(TRACEPARENT)), TRACEPARENT);
  });

  it('ignores a missing or malformed traceparent', () => {
    assert.equal(contextFromTraceparent(null), ROOT_CONTEXT);
    assert.equal(traceparentOf(contextFromTraceparent('00-not-a-trace-01')), null);
  });

  it('reads headers given as strings or buffers', () => {
    assert.equal(traceparentOf(extractTraceHeaders({ traceparent: TRACEPARENT })), TRACEPARENT);
    assert.equal(traceparentOf(extractTraceHeaders({ traceparent: Buffer.from(TRACEPARENT, 'latin1') })), TRACEPARENT);
    assert.equal(traceparentOf(extractTraceHeaders({})), null);
  });

  it('writes traceparent into headers', () => {
    const headers: Record<string, unknown> = { other: 1 };
    injectTraceHeaders(contextFromTraceparent(TRACEPARENT), headers);
    assert.equal(headers['traceparent'], TRACEPARENT);
    assert.equal(headers['other'], 1);
  });

  it('extracts the trace id for log lines', () => {
    assert.equal(traceIdOf(TRACEPARENT), '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(traceIdOf('garbage'), undefined);
    assert.equal(traceIdOf(null), undefined);
  });
});

describe('startTracing', () => {
  const exporter = new InMemorySpanExporter();
  const logger = createLogger('test-tracing', 'silent');
  const settings = loadConfig('test-tracing', {});
  const tracing = startTracing(settings, logger, new SimpleSpanProcessor({ exporter }));
  after(() => tracing.shutdown());

  it('is off without an exporter', async () => {
    const off = startTracing(loadConfig('test-off', {}), logger);
    assert.equal(off.enabled, false);
    await off.shutdown();
  });

  it('records child spans of a remote parent', () => {
    assert.equal(tracing.enabled, true);
    const parent = startSpan('parent', {}, contextFromTraceparent(TRACEPARENT));
    const child = startSpan('child', {}, parent.context);
    child.span.end();
    parent.span.end();

    const spans = exporter.getFinishedSpans();
    const byName = new Map(spans.map((span) => [span.name, span]));
    assert.equal(byName.get('parent')?.spanContext().traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(byName.get('parent')?.parentSpanContext?.spanId, '00f067aa0ba902b7');
    assert.equal(byName.get('child')?.parentSpanContext?.spanId, byName.get('parent')?.spanContext().spanId);
    assert.equal(byName.get('parent')?.resource.attributes['service.name'], 'test-tracing');
  });

  it('puts the active span into log fields', () => {
    const { span, context: spanContext } = startSpan('logged', {}, contextFromTraceparent(TRACEPARENT));
    const fields = context.with(spanContext, () => activeTraceFields());
    span.end();
    assert.equal(fields.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(fields.spanId, span.spanContext().spanId);
    assert.deepEqual(activeTraceFields(), {});
  });
});

describe('tracing configuration', () => {
  it('defaults to parent-based sampling over OTLP/HTTP protobuf', () => {
    const config = loadConfig('test', {});
    assert.equal(config.OTEL_TRACES_SAMPLER, 'parentbased_always_on');
    assert.equal(config.OTEL_EXPORTER_OTLP_PROTOCOL, 'http/protobuf');
    assert.equal(config.OTEL_TRACES_EXPORTER, undefined);
    assert.equal(config.WORKER_HTTP_PORT, 5002);
  });

  it('rejects gRPC and an invalid sampler ratio', () => {
    assert.throws(() => loadConfig('test', { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), /OTEL_EXPORTER_OTLP_PROTOCOL/);
    assert.throws(() => loadConfig('test', { OTEL_TRACES_SAMPLER_ARG: '2' }), /OTEL_TRACES_SAMPLER_ARG/);
  });
});
