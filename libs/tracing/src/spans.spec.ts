import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { activeTraceHeaders, inSpan, isTracing, startSpan, traceHeadersFrom, type TraceHeaders } from './spans';
import { startTracing, type Tracing } from './tracing';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';
const incoming = { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate: 'vendor=abc' };

describe('traceHeadersFrom', () => {
  it('reads W3C headers from HTTP (strings, lists) and Kafka (Buffers)', () => {
    expect(traceHeadersFrom({ traceparent: incoming.traceparent, tracestate: 'vendor=abc' })).toEqual(incoming);
    expect(traceHeadersFrom({ traceparent: [incoming.traceparent] })).toEqual({ traceparent: incoming.traceparent });
    expect(traceHeadersFrom({ traceparent: Buffer.from(incoming.traceparent), tracestate: Buffer.from('vendor=abc') })).toEqual(incoming);
    // a later version may carry more fields: kept
    expect(traceHeadersFrom({ traceparent: `01-${TRACE_ID}-${PARENT_ID}-01-more` })?.traceparent).toBe(
      `01-${TRACE_ID}-${PARENT_ID}-01-more`,
    );
  });

  it('drops what is not a valid traceparent, and a tracestate over 512 characters', () => {
    for (const traceparent of [
      undefined,
      '',
      'garbage',
      `00-${'0'.repeat(32)}-${PARENT_ID}-01`,
      `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
      `ff-${TRACE_ID}-${PARENT_ID}-01`,
      `00-${TRACE_ID}-${PARENT_ID}-01-extra`,
      `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`,
      `01-${TRACE_ID}-${PARENT_ID}-01-${'x'.repeat(600)}`,
    ]) {
      expect(traceHeadersFrom({ traceparent })).toBeUndefined();
    }
    expect(traceHeadersFrom(undefined)).toBeUndefined();
    expect(traceHeadersFrom({ traceparent: incoming.traceparent, tracestate: 'a=b,'.repeat(130) })).toEqual({
      traceparent: incoming.traceparent,
    });
  });
});

describe('tracing off (no endpoint)', () => {
  it('registers nothing and makes no span', async () => {
    const tracing = startTracing({ serviceName: 'test' });
    expect(tracing.enabled).toBe(false);
    expect(isTracing()).toBe(false);
    const span = startSpan('work', { kind: 'producer' });
    expect(span.headers).toBeUndefined();
    expect(span.run(() => activeTraceHeaders())).toBeUndefined();
    expect(await inSpan('work', {}, async () => activeTraceHeaders())).toBeUndefined();
    await tracing.shutdown();
  });

  it('passes an incoming trace context on unchanged, to everything started inside', async () => {
    const consumed = startSpan('process', { kind: 'consumer', parent: incoming });
    expect(consumed.headers).toEqual(incoming);
    await consumed.run(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      expect(activeTraceHeaders()).toEqual(incoming);
      expect(startSpan('send', { kind: 'producer' }).headers).toEqual(incoming);
      expect(await inSpan('transaction', { kind: 'client' }, async (span) => span.headers)).toEqual(incoming);
    });
    expect(activeTraceHeaders()).toBeUndefined();
  });
});

describe('tracing on', () => {
  let exporter: InMemorySpanExporter;
  let tracing: Tracing;
  beforeEach(() => {
    exporter = new InMemorySpanExporter();
    tracing = startTracing({ serviceName: 'test-service', instanceId: 'test-1', exporter });
  });
  afterEach(() => tracing.shutdown());

  it('continues the incoming trace: a child span, whose headers name it', async () => {
    expect(isTracing()).toBe(true);
    const consumed = startSpan('process orders.commands', {
      kind: 'consumer',
      parent: incoming,
      attributes: { 'messaging.system': 'kafka' },
    });
    const headers = consumed.headers;
    expect(headers?.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
    expect(headers?.traceparent).not.toContain(PARENT_ID);
    expect(headers?.tracestate).toBe('vendor=abc');
    await consumed.run(() => inSpan('send orders.events', { kind: 'producer' }, async () => expect(activeTraceHeaders()).toBeDefined()));
    consumed.end();

    const [send, process] = exporter.getFinishedSpans();
    expect(process.name).toBe('process orders.commands');
    expect(process.kind).toBe(SpanKind.CONSUMER);
    expect(process.spanContext().traceId).toBe(TRACE_ID);
    expect(process.parentSpanContext?.spanId).toBe(PARENT_ID);
    expect(process.attributes['messaging.system']).toBe('kafka');
    expect(process.resource.attributes['service.name']).toBe('test-service');
    expect(process.resource.attributes['service.instance.id']).toBe('test-1');
    expect(headers?.traceparent).toContain(process.spanContext().spanId);
    expect(send.kind).toBe(SpanKind.PRODUCER);
    expect(send.spanContext().traceId).toBe(TRACE_ID);
    expect(send.parentSpanContext?.spanId).toBe(process.spanContext().spanId);
  });

  it('starts a new trace outside any, links a batch to its messages, and records failures once', async () => {
    const first = startSpan('process', { kind: 'consumer' });
    const second = startSpan('process', { kind: 'consumer', parent: incoming });
    expect(first.headers?.traceparent.split('-')[1]).not.toBe(TRACE_ID);
    await expect(
      inSpan('batch', { parent: first.headers, links: [first.headers, second.headers] as TraceHeaders[] }, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    first.end('dead-lettered: poison');
    first.end();
    second.end();

    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.name)).toEqual(['batch', 'process', 'process']);
    const [batch, firstSpan] = spans;
    expect(batch.parentSpanContext?.spanId).toBe(firstSpan.spanContext().spanId);
    expect(batch.links.map((link) => link.context.traceId)).toEqual([firstSpan.spanContext().traceId, TRACE_ID]);
    expect(batch.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Error: boom' });
    expect(batch.events.map((event) => event.name)).toEqual(['exception']);
    expect(firstSpan.status).toEqual({ code: SpanStatusCode.ERROR, message: 'dead-lettered: poison' });
  });

  it('turns off again on shutdown', async () => {
    await tracing.shutdown();
    expect(isTracing()).toBe(false);
    expect(startSpan('after').headers).toBeUndefined();
  });
});

describe('sampling (parentbased_always_off)', () => {
  it('records only the traces a caller asks for (a sampled traceparent), and still passes the others on', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing({ serviceName: 'test', exporter, sampler: 'parentbased_always_off' });
    try {
      const unasked = startSpan('new trace');
      expect(unasked.headers?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
      unasked.end();
      const unsampled = startSpan('not sampled', { parent: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-00` } });
      expect(unsampled.headers?.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-00$`));
      unsampled.end();
      startSpan('asked for', { parent: incoming }).end();
      expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['asked for']);
    } finally {
      await tracing.shutdown();
    }
  });

  it('records a share of new traces with parentbased_traceidratio', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing({ serviceName: 'test', exporter, sampler: 'parentbased_traceidratio', samplerRatio: 0.5 });
    try {
      for (let i = 0; i < 400; i++) startSpan('new trace').end();
      expect(exporter.getFinishedSpans().length).toBeGreaterThan(120);
      expect(exporter.getFinishedSpans().length).toBeLessThan(280);
    } finally {
      await tracing.shutdown();
    }
  });
});
