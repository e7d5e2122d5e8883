import type { Logger } from '@orderline/logging';

/**
 * On SIGTERM/SIGINT runs `steps` in order (stop taking work first, close pools last) and exits 0;
 * exits 1 if they take longer than `timeoutMs`. A second signal does not start a second shutdown.
 */
export function onShutdown(logger: Logger, steps: Array<() => Promise<unknown>>, timeoutMs = 10_000): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    setTimeout(() => {
      logger.error('shutdown took too long, exiting', { timeoutMs });
      process.exit(1);
    }, timeoutMs).unref();
    for (const step of steps) {
      try {
        await step();
      } catch (error) {
        logger.warn('shutdown step failed', { error: String(error) });
      }
    }
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

/** Logs a start-up failure (bad config, unreachable dependency) as one clear line and exits 1. */
export function exitOnStartupError(logger: Logger) {
  return (error: unknown) => {
    logger.error('failed to start', {
      error: error instanceof Error ? error.message : String(error),
    });
    process.exit(1);
  };
}
