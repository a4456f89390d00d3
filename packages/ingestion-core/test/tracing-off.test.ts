import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { context, ROOT_CONTEXT } from '@opentelemetry/api';

import { activeTraceFields, contextFromTraceparent, createLogger, loadConfig, startSpan, startTracing, traceparentOf } from '../src/index.js';

// A file of its own, because the global tracer provider can be set only once per process.
describe('tracing without an exporter', () => {
  const tracing = startTracing(loadConfig('test-off', {}), createLogger('test-off', 'silent'));

  it('records nothing but still issues trace ids', () => {
    assert.equal(tracing.enabled, false);
    const { span, context: spanContext } = startSpan('unsampled', {}, ROOT_CONTEXT);
    assert.equal(span.isRecording(), false);
    assert.match(traceparentOf(spanContext) ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    const fields = context.with(spanContext, () => activeTraceFields());
    assert.equal(fields.traceId, span.spanContext().traceId);
    span.end();
  });

  it('reuses the parent span for a child', () => {
    const parent = startSpan('parent', {}, ROOT_CONTEXT);
    const child = startSpan('child', {}, parent.context);
    assert.equal(child.span, parent.span);
    assert.equal(child.context, parent.context);
  });

  it("continues a remote parent's trace", () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const { context: spanContext } = startSpan('child', {}, contextFromTraceparent(`00-${traceId}-00f067aa0ba902b7-01`));
    assert.equal(context.with(spanContext, () => activeTraceFields()).traceId, traceId);
  });
});
