import { METRICS_CONTENT_TYPE, extractTraceHeaders, startSpan } from '@ingestion/core';
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, type Context, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';

import type { ApiMetrics } from '../metrics/api-metrics.js';
import { problemCodeOf } from './problem.js';

/** Ingest endpoints, by route, with the name of their `endpoint` label. */
const INGEST_ENDPOINTS: Record<string, string> = { '/Ingestion/ingest': 'single', '/Ingestion/ingest/batch': 'batch' };

/** Routes polled by probes and scrapers every few seconds; their spans would only be noise. */
const UNTRACED_ROUTES = new Set(['/health/live', '/health/ready', '/metrics']);

interface RequestTrace {
  readonly span: Span;
  readonly context: Context;
}

const requestTraces = new WeakMap<FastifyRequest, RequestTrace>();

/** Returns the trace context of a request's server span, to parent the spans of its work. */
export function requestTraceContext(request: FastifyRequest): Context {
  return requestTraces.get(request)?.context ?? ROOT_CONTEXT;
}

/**
 * Gives every request a server span, continuing the client's `traceparent` when it sent one, and
 * records the request metrics when the response is sent. Serves the metrics at GET /metrics.
 */
export function registerObservability(app: FastifyInstance, metrics: ApiMetrics): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    if (UNTRACED_ROUTES.has(route)) return done();
    const trace = startSpan(
      `${request.method} ${route}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'http.route': route, 'url.path': request.url.split('?', 1)[0]! } },
      extractTraceHeaders(request.headers),
    );
    requestTraces.set(request, trace);
    done();
  });

  // Bodies are read between onRequest and preHandler, outside the request's async context, so the span
  // becomes the active one here: log lines written by the handler then carry its trace id.
  app.addHook('preHandler', (request, _reply, done) => {
    const trace = requestTraces.get(request);
    if (trace === undefined) return done();
    context.with(trace.context, done);
  });

  app.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requestDuration.observe({ method: request.method, route, status_code: status }, reply.elapsedTime / 1000);
    const endpoint = INGEST_ENDPOINTS[route];
    if (endpoint !== undefined) {
      const outcome = problemCodeOf(request) ?? 'accepted';
      metrics.ingestRequests.inc({ endpoint, outcome, status_code: status });
    }
    const trace = requestTraces.get(request);
    if (trace !== undefined) {
      trace.span.setAttribute('http.response.status_code', status);
      if (status >= 500) trace.span.setStatus({ code: SpanStatusCode.ERROR });
      trace.span.end();
    }
    done();
  });

  app.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(METRICS_CONTENT_TYPE).send(text);
  });
}
