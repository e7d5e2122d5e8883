import type { RunningSystem } from '@orderline/testing';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __SYSTEM__?: RunningSystem }).__SYSTEM__?.stop();
}
