import { Counter, Histogram, type Registry } from 'prom-client';

import { RelayMetrics } from './relay-metrics.js';

/** Buckets for request and commit latencies, in seconds: 1 ms to 10 s. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Buckets for batch sizes, in events or requests. */
const SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

/** The API's Prometheus metrics, registered in the process's registry. */
export class ApiMetrics {
  readonly registry: Registry;
  /** Ingest requests by endpoint, outcome and HTTP status. */
  readonly ingestRequests: Counter<'endpoint' | 'outcome' | 'status_code'>;
  /** Events of ingest requests whose transaction committed, by result: created, duplicate or conflict. */
  readonly ingestEvents: Counter<'result'>;
  readonly requestDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly groupCommitEvents: Histogram;
  readonly groupCommitRequests: Histogram;
  readonly groupCommitDuration: Histogram<'result'>;
  /** The relay's metrics, registered even with RELAY_ENABLED=false so that the API always serves the same names. */
  readonly relay: RelayMetrics;

  constructor(registry: Registry) {
    this.registry = registry;
    const registers = [registry];
    this.ingestRequests = new Counter({
      name: 'ingestion_ingest_requests_total',
      help: 'Ingest requests by endpoint (single, batch), outcome and HTTP status code.',
      labelNames: ['endpoint', 'outcome', 'status_code'],
      registers,
    });
    this.ingestEvents = new Counter({
      name: 'ingestion_ingest_events_total',
      help: 'Events of ingest requests whose transaction committed, by result: created, duplicate or conflict.',
      labelNames: ['result'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'ingestion_http_request_duration_seconds',
      help: 'Time from receiving an HTTP request to sending its response.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.groupCommitEvents = new Histogram({
      name: 'ingestion_group_commit_batch_events',
      help: 'Events written by one group-commit transaction.',
      buckets: SIZE_BUCKETS,
      registers,
    });
    this.groupCommitRequests = new Histogram({
      name: 'ingestion_group_commit_batch_requests',
      help: 'Requests whose events one group-commit transaction wrote.',
      buckets: SIZE_BUCKETS,
      registers,
    });
    this.groupCommitDuration = new Histogram({
      name: 'ingestion_group_commit_duration_seconds',
      help: 'Duration of one group-commit transaction, by result (committed, failed).',
      labelNames: ['result'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.relay = new RelayMetrics(registry);
  }
}
