import type { FastifyBaseLogger } from 'fastify';

/** Minimum time between two log lines about shed requests, in milliseconds. */
const SHED_LOG_INTERVAL_MS = 1_000;

let lastLoggedAt = -Infinity;
let shedSinceLastLog = 0;

/**
 * Logs a shed request, at most once per second with the number shed since the last line, because
 * an overloaded API sheds thousands of requests per second and one line each would add to the overload.
 */
export function logShedRequest(logger: FastifyBaseLogger, error: Error): void {
  shedSinceLastLog += 1;
  const now = performance.now();
  if (now - lastLoggedAt < SHED_LOG_INTERVAL_MS) return;
  logger.warn({ err: error, shed: shedSinceLastLog }, 'ingest requests shed: the database is not keeping up');
  lastLoggedAt = now;
  shedSinceLastLog = 0;
}
