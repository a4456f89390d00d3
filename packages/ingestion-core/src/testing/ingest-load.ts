import { delay } from '../resilience/backoff.js';
import { waitFor } from './index.js';

/** One event of a load: its position, which sets when it is due, and the body every request for it sends. */
export interface LoadEvent {
  readonly index: number;
  readonly body: string;
}

export interface LoadOptions {
  /** Base URLs of the APIs; request i goes to `targets()[i % length]`, read at each request. */
  readonly targets: () => readonly string[];
  readonly events: readonly LoadEvent[];
  /** Requests sent per second at most; the load spreads over events.length / rate seconds or more. */
  readonly ratePerSecond: number;
  readonly concurrency: number;
  /** A request without a response after this long is aborted and counted as hung, in milliseconds. */
  readonly requestTimeoutMs: number;
  /** Time after which the client gives up an event that still has no 202 response, in milliseconds. */
  readonly giveUpAfterMs: number;
  /** Content type of every request; `application/cloudevents+json` when omitted. */
  readonly contentType?: string;
}

/** Counts of what the load saw. Every event is resent, with the same body, until it gets a 202 response or is given up. */
export interface LoadReport {
  /** Internal event id per event index, from its 202 response. */
  readonly acceptedIds: Map<number, string>;
  requests: number;
  accepted: number;
  /** 202 responses with `duplicate: true`: a resend of an event the API had stored before. */
  duplicates: number;
  /** 503 responses by their Retry-After header value ('none' when missing). */
  readonly unavailable: Map<string, number>;
  /** Requests that failed without an HTTP response (connection refused or reset). */
  networkErrors: number;
  /** Requests aborted after requestTimeoutMs. */
  hung: number;
  /** Responses other than 202 and 503, by status. */
  readonly unexpected: Map<number, number>;
  /** Events that got no 202 before giveUpAfterMs. */
  givenUp: number;
  /** Requests sent and not answered yet. */
  inFlight: number;
  /** Resends of one event that were answered with another event id than the first answer. */
  readonly idMismatches: string[];
}

/** A load in progress: its report fills in while it runs, and `finished` resolves when every event was answered or given up. */
export interface RunningLoad {
  readonly report: LoadReport;
  readonly finished: Promise<LoadReport>;
}

/** Starts sending the events at a bounded rate and concurrency, resending on 503 and network errors. */
export function startLoad(options: LoadOptions): RunningLoad {
  const report: LoadReport = {
    acceptedIds: new Map(),
    requests: 0,
    accepted: 0,
    duplicates: 0,
    unavailable: new Map(),
    networkErrors: 0,
    hung: 0,
    unexpected: new Map(),
    givenUp: 0,
    inFlight: 0,
    idMismatches: [],
  };
  let requestNumber = 0;
  const startedAt = Date.now();
  const intervalMs = 1000 / options.ratePerSecond;
  let next = 0;
  const worker = async () => {
    while (next < options.events.length) {
      const event = options.events[next]!;
      next += 1;
      const due = startedAt + event.index * intervalMs;
      if (due > Date.now()) await delay(due - Date.now());
      await deliver(event, options, report, () => (requestNumber += 1));
    }
  };
  const finished = Promise.all(Array.from({ length: options.concurrency }, worker)).then(() => report);
  return { report, finished };
}

async function deliver(event: LoadEvent, options: LoadOptions, report: LoadReport, nextRequestNumber: () => number): Promise<void> {
  const giveUpAt = Date.now() + options.giveUpAfterMs;
  while (Date.now() < giveUpAt) {
    const targets = options.targets();
    const target = targets[nextRequestNumber() % targets.length]!;
    report.requests += 1;
    report.inFlight += 1;
    let status: number;
    let retryAfter: string | null;
    let text: string;
    try {
      const response = await fetch(`${target}/Ingestion/ingest`, {
        method: 'POST',
        headers: { 'content-type': options.contentType ?? 'application/cloudevents+json' },
        body: event.body,
        signal: AbortSignal.timeout(options.requestTimeoutMs),
      });
      status = response.status;
      retryAfter = response.headers.get('retry-after');
      text = await response.text();
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') report.hung += 1;
      else report.networkErrors += 1;
      await delay(200);
      continue;
    } finally {
      report.inFlight -= 1;
    }

    if (status === 202) {
      recordAccepted(event, JSON.parse(text) as { id: string; duplicate?: boolean }, report);
      return;
    }
    if (status === 503) {
      const key = retryAfter ?? 'none';
      report.unavailable.set(key, (report.unavailable.get(key) ?? 0) + 1);
      await delay(250);
      continue;
    }
    report.unexpected.set(status, (report.unexpected.get(status) ?? 0) + 1);
    return;
  }
  report.givenUp += 1;
}

function recordAccepted(event: LoadEvent, body: { id: string; duplicate?: boolean }, report: LoadReport): void {
  const earlier = report.acceptedIds.get(event.index);
  if (earlier !== undefined && earlier !== body.id) report.idMismatches.push(`event ${event.index}: ${earlier} then ${body.id}`);
  report.acceptedIds.set(event.index, body.id);
  report.accepted += 1;
  if (body.duplicate === true) report.duplicates += 1;
}

/** Resolves once `count` events were answered 202, so that a scenario can inject its fault in the middle of the load. */
export async function untilAccepted(report: LoadReport, count: number): Promise<void> {
  await waitFor(`${count} events to be accepted`, async () => (report.accepted >= count ? true : undefined), 120_000);
}
