import { collectDefaultMetrics, register } from 'prom-client';

let initialised = false;

/**
 * Prometheus metrics for this process: Node's own (CPU, memory, event-loop lag, GC) plus every
 * metric the libs and the app define, all labelled `service=<name>`. Call once at start-up.
 */
export function initMetrics(service: string): void {
  if (initialised) return;
  initialised = true;
  register.setDefaultLabels({ service });
  collectDefaultMetrics();
}

/** The Prometheus text exposition of every metric of this process. */
export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  return { contentType: register.contentType, body: await register.metrics() };
}
