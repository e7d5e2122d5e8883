import { startSystem } from '@orderline/testing';

export default async function globalSetup(): Promise<void> {
  const system = await startSystem({ basePort: Number(process.env['E2E_BASE_PORT'] ?? 3100) });
  (globalThis as { __SYSTEM__?: unknown }).__SYSTEM__ = system;
  process.env['GATEWAY_URL'] = system.gatewayUrl;
  process.env['SYSTEM_LOG_DIR'] = system.logDir;
}
