import { pino, type Logger as PinoLogger } from 'pino';

import { activeTraceFields } from '../telemetry/trace-context.js';

export type Logger = PinoLogger;

/**
 * Creates the JSON-lines logger of a process. Fields that may carry secrets are redacted,
 * and URLs with credentials should be logged through `redactUrl`. A line written while a span is
 * active carries its `traceId` and `spanId`.
 */
export function createLogger(service: string, level: string): Logger {
  return pino({
    name: service,
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: activeTraceFields,
    redact: {
      paths: ['password', '*.password', 'authorization', '*.authorization', 'req.headers.authorization', 'headers.authorization'],
      censor: '[redacted]',
    },
  });
}

/** Removes the password from a connection URL so that it can be logged. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = 'redacted';
    return url.toString();
  } catch {
    return '[unparseable URL]';
  }
}
