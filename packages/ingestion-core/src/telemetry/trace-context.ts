import { ROOT_CONTEXT, trace, type Context, type Span, type SpanOptions } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/**
 * W3C Trace Context in the places where a delivery waits: the outbox row (its `traceparent` column)
 * and the AMQP message (`traceparent` and `tracestate` headers, as the W3C Trace Context AMQP draft
 * names them). This propagator is used directly rather than the global one, so that context carried
 * by a client's `traceparent` survives the outbox and the broker even while tracing is off.
 */
const propagator = new W3CTraceContextPropagator();

const recordSetter = {
  set(carrier: Record<string, unknown>, key: string, value: string) {
    carrier[key] = value;
  },
};

const recordGetter = {
  keys: (carrier: Record<string, unknown>) => Object.keys(carrier),
  get(carrier: Record<string, unknown>, key: string) {
    const value = carrier[key];
    if (typeof value === 'string') return value;
    return Buffer.isBuffer(value) ? value.toString('latin1') : undefined;
  },
};

/** Tracer for the spans of the pipeline: ingest, commit, publish, consume and handle. */
export const tracer = trace.getTracer('ingestion');

const tracingState = { recording: false };

/**
 * Returns whether this process records and exports spans. When it does not, code whose spans would only pass
 * a trace id along may pass the stored `traceparent` on instead of starting a span per event.
 */
export function isTracingRecorded(): boolean {
  return tracingState.recording;
}

/** Sets whether this process records spans. startTracing calls it. */
export function setTracingRecorded(recording: boolean): void {
  tracingState.recording = recording;
}

/** Returns the `traceparent` header value of a context's span, or null when it has no valid span. */
export function traceparentOf(ctx: Context): string | null {
  const carrier: Record<string, unknown> = {};
  propagator.inject(ctx, carrier, recordSetter);
  return typeof carrier['traceparent'] === 'string' ? carrier['traceparent'] : null;
}

/** Returns a context whose remote parent is the given `traceparent`; the root context when it is null or invalid. */
export function contextFromTraceparent(traceparent: string | null): Context {
  if (traceparent === null) return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, { traceparent }, recordGetter);
}

/** Adds the `traceparent` and `tracestate` of a context's span to message or request headers. */
export function injectTraceHeaders(ctx: Context, headers: Record<string, unknown>): void {
  propagator.inject(ctx, headers, recordSetter);
}

/** Reads the trace context of message or request headers; the root context when they carry none. */
export function extractTraceHeaders(headers: Readonly<Record<string, unknown>>): Context {
  return propagator.extract(ROOT_CONTEXT, headers, recordGetter);
}

/** Returns the trace id of a `traceparent`, or undefined when it is absent or malformed; for log lines. */
export function traceIdOf(traceparent: string | null | undefined): string | undefined {
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent ?? '');
  return match?.[1];
}

/**
 * Starts a span with an explicit parent context and returns it with the context it is active in.
 * While this process records no spans, a parent that has a span already replaces the new span,
 * because only the trace id travels then, and starting a span would only generate a span id.
 * The attributes are set after sampling and only on a recording span, because the SDK would otherwise
 * copy and check them for every span, sampled or not. No sampler of OTEL_TRACES_SAMPLER reads them.
 */
export function startSpan(name: string, options: SpanOptions, parent: Context): { span: Span; context: Context } {
  const parentSpan = trace.getSpan(parent);
  if (!tracingState.recording && parentSpan !== undefined) return { span: parentSpan, context: parent };
  const { attributes, ...rest } = options;
  const span = tracer.startSpan(name, rest, parent);
  if (attributes !== undefined && span.isRecording()) span.setAttributes(attributes);
  return { span, context: trace.setSpan(parent, span) };
}

/** Fields for a log line: the trace and span id of the active span, when there is one. */
export function activeTraceFields(): { traceId?: string; spanId?: string } {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (spanContext === undefined || !trace.isSpanContextValid(spanContext)) return {};
  return { traceId: spanContext.traceId, spanId: spanContext.spanId };
}
