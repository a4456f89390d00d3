/** One event the load sends, with a client-chosen id so that a retry is recognised as the same event. */
export interface LoadEvent {
  readonly id: string;
  readonly body: string;
}

export interface LoadOptions {
  /** Base URLs of the API instances; requests rotate over them and a failed one is retried on the next. */
  readonly apis: () => readonly string[];
  readonly events: readonly LoadEvent[];
  readonly concurrency: number;
  /** Time one request may take before it counts as failed, in milliseconds. */
  readonly requestTimeoutMs: number;
  /** Time after which the whole load gives up, in milliseconds. */
  readonly deadlineMs: number;
  /** Called after each accepted event with the number accepted so far. */
  readonly onAccepted?: (accepted: number) => void;
}

export interface LoadResult {
  readonly accepted: number;
  /** Requests that failed (timeout, connection error, 5xx) and were sent again. */
  readonly retries: number;
  /** Accepted responses that said the event was already stored: a retry of an earlier commit. */
  readonly duplicates: number;
}

/**
 * Sends every event once to some API instance, as a client that retries with the same event id until
 * it gets a 202 would. Bounded by `deadlineMs`: it throws if any event is still not accepted then.
 */
export async function sendLoad(options: LoadOptions): Promise<LoadResult> {
  const deadline = Date.now() + options.deadlineMs;
  let next = 0;
  let accepted = 0;
  let retries = 0;
  let duplicates = 0;
  let turn = 0;

  const sendOne = async (event: LoadEvent): Promise<void> => {
    for (;;) {
      if (Date.now() > deadline) throw new Error(`Load deadline passed with event ${event.id} not accepted`);
      const apis = options.apis();
      const api = apis[turn++ % apis.length]!;
      try {
        const response = await fetch(`${api}/Ingestion/ingest`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: event.body,
          signal: AbortSignal.timeout(options.requestTimeoutMs),
        });
        const text = await response.text();
        if (response.status === 202) {
          if ((JSON.parse(text) as { duplicate?: boolean }).duplicate === true) duplicates += 1;
          accepted += 1;
          options.onAccepted?.(accepted);
          return;
        }
        if (response.status < 500) throw new Error(`Event ${event.id} rejected with ${response.status}: ${text}`);
      } catch (error) {
        if (error instanceof Error && error.message.startsWith(`Event ${event.id} rejected`)) throw error;
      }
      retries += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const lane = async (): Promise<void> => {
    while (next < options.events.length) await sendOne(options.events[next++]!);
  };
  await Promise.all(Array.from({ length: options.concurrency }, lane));
  return { accepted, retries, duplicates };
}
