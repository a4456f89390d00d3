/**
 * Waits for `promise` at most `timeoutMs` and returns `fallback` when it takes longer, for probes and
 * scrapes that must respond in time. The promise itself is not cancelled, and a late rejection is ignored.
 */
export async function valueWithin<T, F>(promise: Promise<T>, timeoutMs: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
