import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line of one unit of work (an HTTP request, a consumed message) carries. */
export interface LogContext {
  correlationId: string;
  orderId?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with this context; log lines written inside it carry its fields. */
export function withLogContext<T>(context: LogContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentLogContext(): LogContext | undefined {
  return storage.getStore();
}

/** Adds fields (e.g. the order id once it is known) to the current context. */
export function addToLogContext(fields: Partial<LogContext>): void {
  const store = storage.getStore();
  if (store) Object.assign(store, fields);
}
