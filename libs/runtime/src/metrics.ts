import { getPriority } from 'node:os';
import { AggregatorRegistry, Gauge, collectDefaultMetrics, register, type MetricObjectWithValues, type MetricValue } from 'prom-client';

let initialised = false;
type ThreadMetrics = MetricObjectWithValues<MetricValue<string>>[];
const otherThreads: Array<() => Promise<ThreadMetrics>> = [];

/**
 * Prometheus metrics for this process: Node's own (CPU, memory, event-loop lag, GC) plus every
 * metric the libs and the app define, all labelled `service=<name>` (and `thread=<thread>` in a
 * service's reads thread, whose metrics the main thread serves with its own). Call once at start-up.
 */
export function initMetrics(service: string, thread?: string): void {
  if (initialised) return;
  initialised = true;
  register.setDefaultLabels(thread ? { service, thread } : { service });
  collectDefaultMetrics();
  new Gauge({
    name: 'orderline_thread_niceness',
    help: "The niceness of the thread (main or reads) this series is from: the write path's runs at WRITE_PATH_NICE, the reads' at the process's",
    collect() {
      this.set(getPriority(0));
    },
  });
}

/** Metrics of another thread of this process (its reads thread) to serve with this thread's. */
export function addMetricsSource(source: () => Promise<ThreadMetrics>): void {
  otherThreads.push(source);
}

/** This thread's metrics, for the main thread to serve. */
export function metricsOfThisThread(): Promise<ThreadMetrics> {
  return register.getMetricsAsJSON() as Promise<ThreadMetrics>;
}

/** The Prometheus text exposition of every metric of this process. */
export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  if (otherThreads.length === 0) return { contentType: register.contentType, body: await register.metrics() };
  const all = await Promise.all([metricsOfThisThread(), ...otherThreads.map((source) => source())]);
  const merged = AggregatorRegistry.aggregate(all);
  return { contentType: merged.contentType, body: await merged.metrics() };
}
