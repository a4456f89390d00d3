import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

import type { Config } from '../config/config.js';
import type { Logger } from '../logging/logger.js';
import { setTracingRecorded } from './trace-context.js';

/** The tracing of one process; `shutdown` flushes the spans still buffered. */
export interface Tracing {
  readonly enabled: boolean;
  shutdown(): Promise<void>;
}

type TracingSettings = Pick<
  Config,
  | 'serviceName'
  | 'OTEL_SDK_DISABLED'
  | 'OTEL_TRACES_EXPORTER'
  | 'OTEL_EXPORTER_OTLP_ENDPOINT'
  | 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'
  | 'OTEL_EXPORTER_OTLP_PROTOCOL'
  | 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
  | 'OTEL_TRACES_SAMPLER'
  | 'OTEL_TRACES_SAMPLER_ARG'
  | 'OTEL_SERVICE_NAME'
>;

/**
 * Sets up OpenTelemetry tracing from the OTEL_* variables. Spans are recorded and exported only when
 * an exporter is configured; `processor` replaces the exporter, for tests that collect spans in memory.
 * Without an exporter no span is recorded, but every request still gets a trace id that travels
 * through the outbox and the broker and appears in the log lines (see startSpan).
 */
export function startTracing(settings: TracingSettings, logger: Logger, processor?: SpanProcessor): Tracing {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());

  const spanProcessor = processor ?? exporterProcessor(settings);
  // The global provider can be set once per process, and a later call leaves the first in place.
  if (spanProcessor === undefined) {
    if (trace.setGlobalTracerProvider(new TracerProvider({ sampler: new AlwaysOffSampler() }))) setTracingRecorded(false);
    logger.debug('tracing off: no trace exporter configured; trace ids are still logged');
    return { enabled: false, shutdown: async () => undefined };
  }
  const serviceName = settings.OTEL_SERVICE_NAME ?? settings.serviceName;
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }).merge(detectResources({ detectors: [envDetector] }));
  const provider = new TracerProvider({ resource, sampler: sampler(settings), spanProcessors: [spanProcessor] });
  if (trace.setGlobalTracerProvider(provider)) setTracingRecorded(true);
  logger.info({ serviceName, sampler: settings.OTEL_TRACES_SAMPLER }, 'tracing on');
  return {
    enabled: true,
    async shutdown() {
      await provider.shutdown().catch((error: unknown) => logger.warn({ err: error }, 'flushing spans failed'));
    },
  };
}

/** Returns the batching processor for the configured exporter, or undefined when tracing is off. */
function exporterProcessor(settings: TracingSettings): SpanProcessor | undefined {
  const exporter = createExporter(settings);
  return exporter === undefined ? undefined : new BatchSpanProcessor({ exporter });
}

function createExporter(settings: TracingSettings): SpanExporter | undefined {
  if (settings.OTEL_SDK_DISABLED) return undefined;
  const hasEndpoint = settings.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined || settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined;
  const kind = settings.OTEL_TRACES_EXPORTER ?? (hasEndpoint ? 'otlp' : 'none');
  if (kind === 'none') return undefined;
  if (kind === 'console') return new ConsoleSpanExporter();
  const protocol = settings.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? settings.OTEL_EXPORTER_OTLP_PROTOCOL;
  // Both exporters read the endpoint, headers and timeout from the OTEL_EXPORTER_OTLP_* variables.
  return protocol === 'http/json' ? new OtlpJsonExporter() : new OtlpProtobufExporter();
}

function sampler(settings: TracingSettings): Sampler {
  const ratio = new TraceIdRatioBasedSampler(settings.OTEL_TRACES_SAMPLER_ARG);
  switch (settings.OTEL_TRACES_SAMPLER) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}
