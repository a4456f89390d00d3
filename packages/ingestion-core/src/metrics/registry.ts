import { collectDefaultMetrics, Registry } from 'prom-client';

/** Content type of the Prometheus text exposition format that `/metrics` returns. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * Creates the metrics registry of a process, with prom-client's process and Node.js metrics
 * (CPU, memory, file descriptors, garbage collection and event-loop delay).
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
