import { Counter, Histogram, type Registry } from 'prom-client';

/** Outcome of one handler attempt. */
export type AttemptOutcome = 'processed' | 'retry' | 'failed';

/** Buckets for handler durations, in seconds: 1 ms to 30 s (the default handler timeout). */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Buckets for accepted-to-processed latency, in seconds: 5 ms to 1 hour, since retries wait minutes. */
const END_TO_END_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

/**
 * Event types are chosen by clients, so the `type` label is capped: types seen after this many
 * distinct ones are reported as `other`, which keeps the number of series bounded.
 */
const MAX_TYPE_LABELS = 100;

/** The worker's Prometheus metrics, registered in the process's registry. */
export class WorkerMetrics {
  readonly registry: Registry;
  private readonly processingDuration: Histogram<'type' | 'outcome'>;
  private readonly retries: Counter<'type'>;
  private readonly deadLettered: Counter<'type' | 'reason'>;
  private readonly duplicates: Counter;
  private readonly endToEnd: Histogram<'type'>;
  private readonly typeLabels = new Set<string>();

  constructor(registry: Registry) {
    this.registry = registry;
    const registers = [registry];
    this.processingDuration = new Histogram({
      name: 'ingestion_processing_duration_seconds',
      help: 'Duration of one handler attempt, by event type and outcome (processed, retry, failed); counted once its transaction committed.',
      labelNames: ['type', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.retries = new Counter({
      name: 'ingestion_retries_scheduled_total',
      help: 'Failed handler attempts for which a retry was scheduled, by event type.',
      labelNames: ['type'],
      registers,
    });
    this.deadLettered = new Counter({
      name: 'ingestion_dead_lettered_total',
      help: 'Events and messages sent to the dead-letter queue, by event type and reason (failed: the handler gave up or the event kept failing its transaction; invalid: the message was unreadable or its event unknown).',
      labelNames: ['type', 'reason'],
      registers,
    });
    this.duplicates = new Counter({
      name: 'ingestion_duplicate_deliveries_total',
      help: 'Deliveries acknowledged without running the handler because the event was already handled.',
      registers,
    });
    this.endToEnd = new Histogram({
      name: 'ingestion_end_to_end_latency_seconds',
      help: 'Time from the API accepting an event to the commit of its successful processing, by event type.',
      labelNames: ['type'],
      buckets: END_TO_END_BUCKETS,
      registers,
    });
  }

  /** Records a committed handler attempt. `receivedAt` is when the API accepted the event. */
  recordAttempt(type: string, outcome: AttemptOutcome, seconds: number, receivedAt: Date): void {
    const label = this.typeLabel(type);
    this.processingDuration.observe({ type: label, outcome }, seconds);
    if (outcome === 'retry') this.retries.inc({ type: label });
    if (outcome === 'failed') this.deadLettered.inc({ type: label, reason: 'failed' });
    if (outcome === 'processed') this.endToEnd.observe({ type: label }, Math.max(0, (Date.now() - receivedAt.getTime()) / 1000));
  }

  recordDuplicate(): void {
    this.duplicates.inc();
  }

  /**
   * Records an event dead-lettered outside a handler attempt: `invalid` for a message the consumer
   * could not process at all, `failed` for an event failed because its batch transaction kept failing.
   */
  recordDeadLettered(type: string, reason: 'failed' | 'invalid'): void {
    this.deadLettered.inc({ type: this.typeLabel(type), reason });
  }

  private typeLabel(type: string): string {
    if (this.typeLabels.has(type)) return type;
    if (this.typeLabels.size >= MAX_TYPE_LABELS) return 'other';
    this.typeLabels.add(type);
    return type;
  }
}
