import type { Logger } from '../logging/logger.js';

/**
 * Time after the first signal during which another one counts as the same signal, in milliseconds.
 * Ctrl-C in a terminal signals the whole process group, and launchers such as npm and concurrently
 * pass the signal on to their children as well, so one Ctrl-C reaches a process two or three times
 * within a few milliseconds.
 */
const REPEATED_SIGNAL_WINDOW_MS = 1_000;

/**
 * Installs SIGTERM and SIGINT handlers for a process entry point. The first signal runs `stop`, which
 * stops intake, drains and closes connections. If that takes longer than `timeoutMs`, or a second
 * signal arrives more than REPEATED_SIGNAL_WINDOW_MS after the first, the process exits at once with code 1.
 */
export function onShutdownSignal(logger: Logger, timeoutMs: number, stop: () => Promise<void>): void {
  let firstSignalAt: number | undefined;
  const handle = (signal: NodeJS.Signals) => {
    if (firstSignalAt !== undefined) {
      if (performance.now() - firstSignalAt < REPEATED_SIGNAL_WINDOW_MS) {
        logger.debug({ signal }, 'repeated signal ignored; shutdown is under way');
        return;
      }
      logger.warn({ signal }, 'second signal received; exiting now');
      process.exit(1);
    }
    firstSignalAt = performance.now();
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
