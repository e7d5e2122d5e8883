import express from 'express';
import request from 'supertest';
import { activeTraceHeaders } from '@orderline/tracing';
import { traceRequests } from './trace-requests';

/** Tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT): the gateway makes no span but passes a caller's trace context on. */
function app() {
  const app = express();
  app.use(traceRequests);
  app.get('/trace', async (_req, res) => {
    await new Promise((resolve) => setImmediate(resolve));
    res.json({ trace: activeTraceHeaders() ?? null });
  });
  return app;
}

const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('traceRequests, tracing off', () => {
  it("passes the caller's traceparent and tracestate on, unchanged, to what the request does", async () => {
    const res = await request(app()).get('/trace').set('traceparent', traceparent).set('tracestate', 'vendor=1');
    expect(res.body).toEqual({ trace: { traceparent, tracestate: 'vendor=1' } });
  });

  it('carries no trace context without a valid traceparent', async () => {
    expect((await request(app()).get('/trace')).body).toEqual({ trace: null });
    expect((await request(app()).get('/trace').set('traceparent', 'nonsense')).body).toEqual({ trace: null });
  });
});
