import type { Logger } from '../logging/logger.js';

/**
 * Installs SIGTERM and SIGINT handlers for a process entry point. The first signal runs `stop`, which
 * stops intake, drains and closes connections. If that takes longer than `timeoutMs`, or a second
 * signal arrives, the process exits at once with code 1.
 */
export function onShutdownSignal(logger: Logger, timeoutMs: number, stop: () => Promise<void>): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal received; exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, timeoutMs }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'graceful shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    stop().then(
      () => {
        logger.info('shutdown complete');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}

/** Logs a fatal start-up error and exits; used by entry points for errors they cannot recover from. */
export function exitOnStartupFailure(logger: Logger, error: unknown): never {
  logger.fatal({ err: error }, 'start-up failed');
  process.exit(1);
}
