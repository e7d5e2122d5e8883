import { createServer, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';

/** A span as an app exported it (OTLP JSON), reduced to what tests look at. */
export interface SinkSpan {
  /** the exporting app's service.name */
  service: string;
  name: string;
  kind: 'internal' | 'server' | 'client' | 'producer' | 'consumer' | 'unspecified';
  traceId: string;
  spanId: string;
  /** '' for a root span */
  parentSpanId: string;
  attributes: Record<string, string | number | boolean>;
  links: { traceId: string; spanId: string }[];
  /** 2: failed */
  statusCode: number;
}

export interface OtlpSink {
  /** where apps export to: their OTEL_EXPORTER_OTLP_ENDPOINT */
  readonly endpoint: string;
  /** Keeps the spans of this trace from now on (the others are dropped as they come, so the sink holds only what tests ask for). */
  watch(traceId: string): void;
  /** the watched trace's spans received so far */
  spans(traceId: string): SinkSpan[];
  /** spans received in all, watched or not */
  received(): number;
  close(): Promise<void>;
}

const KINDS: SinkSpan['kind'][] = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  attributes?: OtlpAttribute[];
  links?: { traceId: string; spanId: string }[];
  status?: { code?: number };
}
interface OtlpExport {
  resourceSpans?: { resource?: { attributes?: OtlpAttribute[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

function attributesOf(list: OtlpAttribute[] = []): SinkSpan['attributes'] {
  const attributes: SinkSpan['attributes'] = {};
  for (const { key, value } of list) {
    const v =
      value.stringValue ?? value.boolValue ?? value.doubleValue ?? (value.intValue !== undefined ? Number(value.intValue) : undefined);
    if (v !== undefined) attributes[key] = v;
  }
  return attributes;
}

/**
 * An in-memory OpenTelemetry collector: an HTTP server taking OTLP/HTTP JSON exports
 * (`POST /v1/traces`, what @opentelemetry/exporter-trace-otlp-http sends) and keeping the spans of
 * the traces a test watches.
 */
export async function startOtlpSink(port = 0, host = '127.0.0.1'): Promise<OtlpSink> {
  const watched = new Map<string, SinkSpan[]>();
  let received = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      try {
        const raw = Buffer.concat(chunks);
        const body = JSON.parse((req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8')) as OtlpExport;
        for (const resourceSpans of body.resourceSpans ?? []) {
          const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name'] ?? '');
          for (const scope of resourceSpans.scopeSpans ?? []) {
            for (const span of scope.spans ?? []) {
              received++;
              watched.get(span.traceId)?.push({
                service,
                name: span.name,
                kind: KINDS[span.kind ?? 0] ?? 'unspecified',
                traceId: span.traceId,
                spanId: span.spanId,
                parentSpanId: span.parentSpanId ?? '',
                attributes: attributesOf(span.attributes),
                links: (span.links ?? []).map(({ traceId, spanId }) => ({ traceId, spanId })),
                statusCode: span.status?.code ?? 0,
              });
            }
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch (error) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String(error));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  return {
    endpoint: `http://${host}:${boundPort}`,
    watch: (traceId) => void (watched.has(traceId) || watched.set(traceId, [])),
    spans: (traceId) => [...(watched.get(traceId) ?? [])],
    received: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
