import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  createContextKey,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type TextMapGetter,
  type Tracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/**
 * A trace context as W3C Trace Context headers: what travels in HTTP requests, Kafka headers and
 * outbox rows. Absent (undefined) when the work belongs to no trace.
 */
export interface TraceHeaders {
  traceparent: string;
  tracestate?: string;
}

/** The header names, as they travel (HTTP and Kafka alike). */
export const TRACE_HEADER_NAMES = ['traceparent', 'tracestate'] as const;

export type SpanKindName = 'server' | 'client' | 'producer' | 'consumer' | 'internal';

const KINDS: Record<SpanKindName, SpanKind> = {
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
  internal: SpanKind.INTERNAL,
};

export interface SpanOptions {
  kind?: SpanKindName;
  attributes?: Attributes;
  /** the trace this span continues (a message's or an HTTP request's headers); default: the active span's */
  parent?: TraceHeaders;
  /** other traces this span belongs to as well (a batch: one link per message in it) */
  links?: TraceHeaders[];
}

/**
 * A unit of work in a trace (a span when tracing is on). `headers` are what a message or row made
 * inside it carries on; `run` makes it the active context for `fn` (and what `fn` starts).
 */
export interface Traced {
  readonly headers: TraceHeaders | undefined;
  run<T>(fn: () => T): T;
  setAttributes(attributes: Attributes): void;
  updateName(name: string): void;
  /** ends the span, failed when `error` is given */
  end(error?: unknown): void;
}

/** The tracer while tracing is on (tracing.ts sets it); undefined: off, no span is ever made. */
let tracer: Tracer | undefined;

export function setTracer(next: Tracer | undefined): void {
  tracer = next;
}

/** Whether spans are recorded (OTEL_EXPORTER_OTLP_ENDPOINT set): callers skip building attributes when not. */
export function isTracing(): boolean {
  return tracer !== undefined;
}

/*
 * The active context lives in AsyncLocalStorage (OpenTelemetry's context API), registered whether
 * tracing is on or not: with tracing off it still carries an incoming trace context, unchanged,
 * from the message or request that brought it to whatever is published meanwhile, so a trace
 * survives a hop through an untraced instance. Nothing is stored when no trace came in.
 */
const contextManager = new AsyncLocalStorageContextManager();
if (context.setGlobalContextManager(contextManager.enable()) === false) contextManager.disable();

/** With tracing off: the headers passed on unchanged, in the context. */
const PASSED_ON = createContextKey('orderline passed-on trace headers');

const propagator = new W3CTraceContextPropagator();
const getter: TextMapGetter<TraceHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => (carrier as unknown as Record<string, string | undefined>)[key],
};

/** The longest tracestate passed on (W3C: 32 members; vendors must accept at least 512 characters). */
const MAX_TRACESTATE = 512;
/** version 00 exactly, or a later version's prefix (its fields after ours are kept); not all zeros */
const TRACEPARENT = /^(?!ff)[\da-f]{2}-(?!0{32})[\da-f]{32}-(?!0{16})[\da-f]{16}-[\da-f]{2}(-.*)?$/;

/**
 * The W3C trace headers among `headers` (HTTP's, or Kafka's: strings, Buffers, or lists of them),
 * or undefined when there is no valid `traceparent`: a malformed one is dropped, never passed on.
 */
export function traceHeadersFrom(headers: Record<string, unknown> | undefined): TraceHeaders | undefined {
  if (!headers) return undefined;
  const traceparent = textOf(headers['traceparent']);
  if (traceparent === undefined || traceparent.length > 512 || !TRACEPARENT.test(traceparent)) return undefined;
  if (traceparent.startsWith('00') && traceparent.length !== 55) return undefined;
  const tracestate = textOf(headers['tracestate']);
  return tracestate && tracestate.length <= MAX_TRACESTATE ? { traceparent, tracestate } : { traceparent };
}

function textOf(value: unknown): string | undefined {
  if (Array.isArray(value)) return textOf(value[0]);
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  return undefined;
}

/** The trace context `fn` runs in: the headers a message or row made now carries on (undefined: no trace). */
export function activeTraceHeaders(): TraceHeaders | undefined {
  const active = context.active();
  if (active === ROOT_CONTEXT) return undefined;
  if (!tracer) return active.getValue(PASSED_ON) as TraceHeaders | undefined;
  return headersOf(active);
}

function headersOf(ctx: Context): TraceHeaders | undefined {
  const carrier: Partial<TraceHeaders> = {};
  propagator.inject(ctx, carrier, { set: (c, key, value) => ((c as Record<string, string>)[key] = value) });
  return carrier.traceparent ? (carrier as TraceHeaders) : undefined;
}

/** Work outside any trace, tracing off: nothing to record, nothing to pass on. */
const UNTRACED: Traced = {
  headers: undefined,
  run: (fn) => fn(),
  setAttributes: () => undefined,
  updateName: () => undefined,
  end: () => undefined,
};

/** Tracing off, inside a trace that came in: no span, the incoming context passed on as it came. */
function passedOn(headers: TraceHeaders, ctx?: Context): Traced {
  let withHeaders = ctx;
  return {
    headers,
    run: (fn) => context.with((withHeaders ??= ROOT_CONTEXT.setValue(PASSED_ON, headers)), fn),
    setAttributes: () => undefined,
    updateName: () => undefined,
    end: () => undefined,
  };
}

/**
 * Starts a span `name` (tracing on), as a child of `parent` or else of the active span. Tracing
 * off, no span is made: the parent's headers (or the active ones) are passed on unchanged, and
 * outside any trace this costs nothing.
 */
export function startSpan(name: string, options: SpanOptions = {}): Traced {
  if (!tracer) {
    if (options.parent) return passedOn(options.parent);
    const active = context.active();
    const headers = active === ROOT_CONTEXT ? undefined : (active.getValue(PASSED_ON) as TraceHeaders | undefined);
    return headers ? passedOn(headers, active) : UNTRACED;
  }
  const parentContext = options.parent ? propagator.extract(ROOT_CONTEXT, options.parent, getter) : context.active();
  const links: Link[] = [];
  for (const link of options.links ?? []) {
    const spanContext = trace.getSpanContext(propagator.extract(ROOT_CONTEXT, link, getter));
    if (spanContext) links.push({ context: spanContext });
  }
  const span = tracer.startSpan(
    name,
    { kind: KINDS[options.kind ?? 'internal'], attributes: options.attributes, links: links.length > 0 ? links : undefined },
    parentContext,
  );
  return recording(span, trace.setSpan(parentContext, span));
}

function recording(span: Span, spanContext: Context): Traced {
  let headers: TraceHeaders | undefined | null = null;
  let ended = false;
  return {
    get headers() {
      if (headers === null) headers = headersOf(spanContext);
      return headers;
    },
    run: (fn) => context.with(spanContext, fn),
    setAttributes: (attributes) => span.setAttributes(attributes),
    updateName: (name) => span.updateName(name),
    end(error?: unknown) {
      if (ended) return;
      ended = true;
      if (error !== undefined) {
        if (error instanceof Error) span.recordException(error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
      }
      span.end();
    },
  };
}

/** Runs `fn` in a new span (see startSpan), ended when it settles, failed when it throws. */
export async function inSpan<T>(name: string, options: SpanOptions, fn: (span: Traced) => Promise<T>): Promise<T> {
  const span = startSpan(name, options);
  if (span === UNTRACED) return fn(span);
  let result: T;
  try {
    result = await span.run(() => fn(span));
  } catch (error) {
    span.end(error);
    throw error;
  }
  span.end();
  return result;
}
