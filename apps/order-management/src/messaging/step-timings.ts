type Step = (...args: never[]) => Promise<unknown>;

/**
 * Wraps each step so that how long its last call took (ms) is kept under its name: one log line
 * per batch then says where the time went.
 */
export function timedSteps<S extends Record<string, Step>>(steps: S): { timed: S; timings: Record<string, number> } {
  const timings: Record<string, number> = {};
  const timed = Object.fromEntries(
    Object.entries(steps).map(([name, step]) => [
      name,
      async (...args: unknown[]) => {
        const started = performance.now();
        try {
          return await (step as (...args: unknown[]) => Promise<unknown>)(...args);
        } finally {
          timings[name] = Math.round(performance.now() - started);
        }
      },
    ]),
  ) as unknown as S;
  return { timed, timings };
}
