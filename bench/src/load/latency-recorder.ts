/** Latency percentiles of a set of requests, in milliseconds. */
export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** One second of a load phase. */
export interface TimelinePoint {
  /** Seconds since the phase started. */
  readonly second: number;
  /** Events accepted (202) in this second. */
  readonly acceptedEvents: number;
  readonly latency: LatencySummary;
}

/** Outcome of one load phase, as seen by the load generator. */
export interface LoadResult {
  readonly durationSeconds: number;
  readonly requests: number;
  readonly acceptedRequests: number;
  readonly acceptedEvents: number;
  /** Requests that got another status, by status code. */
  readonly rejected: Readonly<Record<string, number>>;
  /** Requests that failed without a response (connection errors, timeouts, generator limit). */
  readonly errors: number;
  readonly latency: LatencySummary;
  readonly timeline: readonly TimelinePoint[];
}

/**
 * Collects request outcomes of one phase: every latency, for exact percentiles, and one bucket per
 * second, for the charts. Statuses 202 count as accepted; `eventsPerRequest` converts them to events.
 */
export class LatencyRecorder {
  private readonly startedAt = performance.now();
  private readonly latencies: number[] = [];
  private readonly buckets: { latencies: number[]; accepted: number }[] = [];
  private readonly rejected: Record<string, number> = {};
  private acceptedRequests = 0;
  private errors = 0;
  private readonly eventsPerRequest: number;

  constructor(eventsPerRequest = 1) {
    this.eventsPerRequest = eventsPerRequest;
  }

  /** Records a response; `latencyMs` is measured from the time the request was due to be sent. */
  record(status: number, latencyMs: number): void {
    this.latencies.push(latencyMs);
    const bucket = this.bucketAt(performance.now());
    bucket.latencies.push(latencyMs);
    if (status === 202) {
      this.acceptedRequests += 1;
      bucket.accepted += 1;
    } else {
      this.rejected[status] = (this.rejected[status] ?? 0) + 1;
    }
  }

  recordError(): void {
    this.errors += 1;
  }

  finish(): LoadResult {
    const durationSeconds = (performance.now() - this.startedAt) / 1000;
    return {
      durationSeconds,
      requests: this.latencies.length + this.errors,
      acceptedRequests: this.acceptedRequests,
      acceptedEvents: this.acceptedRequests * this.eventsPerRequest,
      rejected: { ...this.rejected },
      errors: this.errors,
      latency: summarize(this.latencies),
      timeline: this.buckets.map((bucket, second) => ({
        second,
        acceptedEvents: bucket.accepted * this.eventsPerRequest,
        latency: summarize(bucket.latencies),
      })),
    };
  }

  private bucketAt(now: number) {
    const index = Math.floor((now - this.startedAt) / 1000);
    while (this.buckets.length <= index) this.buckets.push({ latencies: [], accepted: 0 });
    return this.buckets[index]!;
  }
}

/** Exact percentiles by sorting; zero for an empty set. */
export function summarize(latencies: readonly number[]): LatencySummary {
  if (latencies.length === 0) return { p50: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(latencies).sort();
  const at = (quantile: number) => sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))]!;
  return { p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted[sorted.length - 1]!) };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
