/**
 * Settles like `promise`, or rejects with `timeoutError()` once `ms` milliseconds passed, so that a
 * reply lost with its connection cannot block the caller. The original promise keeps running.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, timeoutError: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError()), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
