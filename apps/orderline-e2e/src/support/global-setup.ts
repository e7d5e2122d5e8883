import { startSystem } from '@orderline/testing';

export default async function globalSetup(): Promise<void> {
  // E2E_INSTANCES=2 runs two instances of every app (consumer groups share the partitions).
  const count = Number(process.env['E2E_INSTANCES'] ?? 1);
  const basePort = Number(process.env['E2E_BASE_PORT'] ?? 3100);
  // traces.spec.ts listens here (an in-memory OTLP collector) while it runs
  const otlpPort = basePort + 99;
  const system = await startSystem({
    basePort,
    instances: {
      gateway: count,
      'order-management': count,
      'customer-service': count,
      'inventory-service': count,
      'notification-service': count,
    },
    // debug: order-management logs one line per decided order, which a test follows by correlation id
    // a peer group of its own: only this system's gateways share the per-customer limits
    // SSE: a heartbeat every second and a small queue per stream, so order-stream.spec.ts sees both bounds act quickly;
    // waitForDecision follows each order's stream as the admin, many at once
    env: {
      LOG_LEVEL: 'debug',
      GATEWAY_PEERS_GROUP: `e2e-gateway-peers-${process.pid}`,
      SSE_HEARTBEAT_MS: '1000',
      SSE_MAX_BUFFERED_BYTES: '65536',
      SSE_MAX_STREAMS_PER_CUSTOMER: '1000',
      // webhooks.spec: retries within a second, and a hanging receiver given up on within 2 s
      WEBHOOK_RETRY_BASE_MS: '100',
      WEBHOOK_RETRY_MAX_DELAY_MS: '1000',
      WEBHOOK_REQUEST_TIMEOUT_MS: '2000',
      WEBHOOK_POLL_INTERVAL_MS: '100',
      // traces.spec: the apps record the traces a request or message asks for (a sampled `traceparent`,
      // which only traces.spec sends: the rest of the suite records nothing) and export them within 100 ms
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`,
      OTEL_TRACES_SAMPLER: 'parentbased_always_off',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      // metrics.spec: the write path's thread at a lower priority than the reads thread (off by default)
      WRITE_PATH_NICE: '5',
    },
  });
  (globalThis as { __SYSTEM__?: unknown }).__SYSTEM__ = system;
  process.env['GATEWAY_URL'] = system.gatewayUrl;
  process.env['SYSTEM_LOG_DIR'] = system.logDir;
  process.env['SYSTEM_OTLP_PORT'] = String(otlpPort);
  // where each instance serves /metrics: the gateway on its HTTP port, the others on their health port
  process.env['SYSTEM_METRICS_URLS'] = JSON.stringify(
    system.instances.map((instance) => ({ app: instance.app, url: `http://127.0.0.1:${instance.port}/metrics` })),
  );
}
