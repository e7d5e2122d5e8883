import type { Consumer, ConsumerRunConfig } from 'kafkajs';
import type { Logger } from '@orderline/logging';

export interface CrashRestartOptions {
  /** first delay before a restart; doubles per failed attempt, capped at `maxDelayMs` */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export interface CrashRestart {
  /** stops restarting (call before disconnecting the consumer on shutdown) */
  stop(): void;
}

/**
 * Keeps a kafkajs consumer running across crashes it would not recover from by itself.
 *
 * kafkajs restarts a crashed consumer only when the error counts as retriable. After a broker
 * restart some errors do not (e.g. "Failed to find group coordinator"): the consumer then stays
 * stopped for good while the process looks healthy, and every request to it times out. Here such
 * a crash is followed by `connect()` + `run(runConfig)` again, with backoff, until it succeeds or
 * `stop()` is called. Subscriptions survive a crash (the consumer object keeps them).
 */
export function restartOnCrash(
  consumer: Consumer,
  runConfig: ConsumerRunConfig,
  logger: Logger,
  { initialDelayMs = 500, maxDelayMs = 10_000 }: CrashRestartOptions = {},
): CrashRestart {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  /** restarts since the consumer last joined its group */
  let attempt = 0;

  const schedule = () => {
    if (stopped || timer) return;
    const delayMs = Math.min(initialDelayMs * 2 ** attempt, maxDelayMs);
    timer = setTimeout(async () => {
      timer = undefined;
      if (stopped) return;
      const thisAttempt = ++attempt; // (a join during run() resets `attempt`)
      try {
        await consumer.connect();
        // run() resolves once started; if joining fails again, kafkajs emits another CRASH
        await consumer.run(runConfig);
        logger.warn('consumer restarted after a crash kafkajs would not recover from', { attempt: thisAttempt });
      } catch (error) {
        logger.error('consumer restart failed, will retry', { attempt: thisAttempt, error: String(error) });
        schedule();
      }
    }, delayMs);
  };

  const removeCrashListener = consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart || stopped) return; // kafkajs restarts this one itself
    logger.error('consumer crashed and kafkajs will not restart it; restarting it', {
      groupId: payload.groupId,
      error: String(payload.error),
    });
    schedule();
  });
  const removeJoinListener = consumer.on(consumer.events.GROUP_JOIN, () => {
    attempt = 0;
  });

  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      removeCrashListener();
      removeJoinListener();
    },
  };
}
