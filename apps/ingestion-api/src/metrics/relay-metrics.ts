import { Counter, Histogram, type Registry } from 'prom-client';

/** Buckets for confirm durations, in seconds: 1 ms to 10 s, the default RELAY_CONFIRM_TIMEOUT_MS. */
const CONFIRM_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Buckets for the events in one message, up to the largest RELAY_EVENTS_PER_MESSAGE. */
const MESSAGE_EVENTS_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/**
 * The outbox relay's Prometheus metrics. The API and the standalone relay process each register them
 * in their own registry, so both serve the same names.
 */
export class RelayMetrics {
  readonly registry: Registry;
  /** Events (outbox rows) the relay published, by kind (process, dead-letter) and result (confirmed, unroutable, failed). */
  readonly events: Counter<'kind' | 'result'>;
  /** Time from publishing a batch to the broker's last confirm of it. */
  readonly confirmDuration: Histogram;
  /** Events in each confirmed message; its count is the number of messages. */
  readonly messageEvents: Histogram;

  constructor(registry: Registry) {
    this.registry = registry;
    const registers = [registry];
    this.events = new Counter({
      name: 'ingestion_relay_events_total',
      help: 'Events (outbox rows) the outbox relay published, by kind (process, dead-letter) and result (confirmed, unroutable, failed).',
      labelNames: ['kind', 'result'],
      registers,
    });
    this.confirmDuration = new Histogram({
      name: 'ingestion_relay_confirm_duration_seconds',
      help: 'Time from publishing a batch of outbox messages to the last publisher confirm of the batch.',
      buckets: CONFIRM_DURATION_BUCKETS,
      registers,
    });
    this.messageEvents = new Histogram({
      name: 'ingestion_relay_message_events',
      help: 'Events in each message the outbox relay published and RabbitMQ confirmed: 1 for a single-event message, more for a pack.',
      buckets: MESSAGE_EVENTS_BUCKETS,
      registers,
    });
  }
}
