import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
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
  /**
   * OTEL_TRACES_SAMPLER (and its ratio, OTEL_TRACES_SAMPLER_ARG): which traces that start here are
   * recorded; a trace that came in is recorded as its `traceparent`'s sampled flag says. Default
   * `parentbased_always_on`: all of them.
   */
  sampler?: TracesSampler;
  samplerRatio?: number;
}

/** The OpenTelemetry sampler names supported (OTEL_TRACES_SAMPLER). */
export const TRACES_SAMPLERS = ['parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
export type TracesSampler = (typeof TRACES_SAMPLERS)[number];

function samplerOf(name: TracesSampler, ratio = 1): Sampler {
  const root =
    name === 'parentbased_always_off'
      ? new AlwaysOffSampler()
      : name === 'parentbased_traceidratio'
        ? new TraceIdRatioBasedSampler(ratio)
        : new AlwaysOnSampler();
  return new ParentBasedSampler({ root });
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
export function startTracing({
  serviceName,
  instanceId,
  endpoint,
  scheduleDelayMs,
  exporter,
  sampler = 'parentbased_always_on',
  samplerRatio,
}: TracingOptions): Tracing {
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
    sampler: samplerOf(sampler, samplerRatio),
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
