/**
 * Wraps an expensive read so that the gauges of one scrape share a single call: prom-client runs
 * the `collect()` of every metric of a scrape at once, and each of them awaits the same promise.
 * A call more than `maxAgeMs` after the previous one reads again.
 */
export function sharedReading<T>(read: () => Promise<T>, maxAgeMs = 1_000): () => Promise<T> {
  let last: { readonly at: number; readonly value: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (last === undefined || now - last.at > maxAgeMs) last = { at: now, value: read() };
    return last.value;
  };
}
