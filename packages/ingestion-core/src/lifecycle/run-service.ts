import { loadConfig, type Config } from '../config/config.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { startTracing } from '../telemetry/tracing.js';
import { exitOnStartupFailure, onShutdownSignal } from './shutdown.js';

/** Context that runService passes to a process entry point. */
export interface ServiceContext {
  readonly config: Config;
  readonly logger: Logger;
  /** Aborted when a shutdown signal arrives, so that start-up retries give up. */
  readonly signal: AbortSignal;
  readonly isShuttingDown: () => boolean;
  /** Sets what the first shutdown signal runs: stop intake, drain, close connections. */
  onStop(stop: () => Promise<void>): void;
}

/**
 * Runs a process entry point: validates the configuration (exiting with code 1 and a message that
 * names each invalid variable), creates the logger and the tracing, installs the shutdown signal
 * handlers, then calls `start`. A start-up failure exits with code 1 unless shutdown began.
 */
export async function runService(serviceName: string, start: (context: ServiceContext) => Promise<void>): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(serviceName);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
  const logger = createLogger(config.serviceName, config.LOG_LEVEL);
  const tracing = startTracing(config, logger);
  const startup = new AbortController();
  let shuttingDown = false;
  let stop: () => Promise<void> = async () => undefined;
  onShutdownSignal(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
    shuttingDown = true;
    startup.abort();
    await stop();
    await tracing.shutdown();
  });
  try {
    await start({
      config,
      logger,
      signal: startup.signal,
      isShuttingDown: () => shuttingDown,
      onStop: (next) => {
        stop = next;
      },
    });
  } catch (error) {
    if (startup.signal.aborted) return;
    exitOnStartupFailure(logger, error);
  }
}
