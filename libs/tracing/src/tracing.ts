import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { setTracer } from './spans';

export interface TracingOptions {
  /** the app (service.name) */
  serviceName: string;
  /** this process among the app's instances (service.instance.id) */
  instanceId?: string;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: spans go to `<endpoint>/v1/traces` (OTLP, JSON over HTTP); unset: tracing is off */
  endpoint?: string;
  /** OTEL_BSP_SCHEDULE_DELAY: how long ended spans wait to be exported together */
  scheduleDelayMs?: number;
  /** a test's exporter instead of OTLP (each span exported as it ends) */
  exporter?: SpanExporter;
}

export interface Tracing {
  readonly enabled: boolean;
  /** exports what is left and turns tracing off */
  shutdown(): Promise<void>;
}

const OFF: Tracing = { enabled: false, shutdown: async () => undefined };

/**
 * Turns tracing on when an endpoint (or a test's exporter) is given: spans are recorded and
 * exported in batches. Otherwise nothing is registered and every span is the no-op of spans.ts
 * (trace headers that came in are still passed on, unchanged). One tracer per process.
 */
export function startTracing({ serviceName, instanceId, endpoint, scheduleDelayMs, exporter }: TracingOptions): Tracing {
  if (!endpoint && !exporter) return OFF;
  const processor = exporter
    ? new SimpleSpanProcessor(exporter)
    : new BatchSpanProcessor(new OTLPTraceExporter({ url: `${(endpoint as string).replace(/\/+$/, '')}/v1/traces` }), {
        scheduledDelayMillis: scheduleDelayMs,
        // a collector that is away costs memory up to this many spans, then spans are dropped
        maxQueueSize: 8_192,
        maxExportBatchSize: 1_024,
      });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName, ...(instanceId ? { 'service.instance.id': instanceId } : {}) }),
    spanProcessors: [processor],
  });
  setTracer(provider.getTracer('orderline'));
  return {
    enabled: true,
    async shutdown() {
      setTracer(undefined);
      await provider.shutdown();
    },
  };
}
