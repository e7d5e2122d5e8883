// Preload for the Prisma 6.19 CLI only (NODE_OPTIONS=--require ./scripts/unref-long-timers.cjs).
// The wasm schema engine arms a 10 s timer (advisory-lock timeout) during `migrate deploy` and never
// clears it, so the process lingers ~10 s after "All migrations have been successfully applied".
// Unref'ing timers >= 10 s lets the CLI exit as soon as its real work (DB sockets) is done.
'use strict';
const orig = globalThis.setTimeout;
globalThis.setTimeout = function (fn, ms, ...args) {
  const t = orig.call(this, fn, ms, ...args);
  if (typeof ms === 'number' && ms >= 10000 && t && typeof t.unref === 'function') t.unref();
  return t;
};
