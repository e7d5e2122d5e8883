import { Counter } from 'prom-client';

export interface SharedReadCacheOptions {
  /** an answer this young is served as it is */
  freshMs: number;
  /** an older one, up to this age, is served while one refresh runs in the background */
  maxStaleMs: number;
  /** memory for the answers held (the least recently read go first) */
  maxBytes: number;
  /** epoch ms (tests) */
  now?: () => number;
}

interface Held<T> {
  value: T;
  fetchedAt: number;
  bytes: number;
}

export type CacheOutcome = 'fresh' | 'stale' | 'miss';

export const readCacheReads = new Counter({
  name: 'orderline_read_cache_reads_total',
  help: 'Reads a gateway answered itself (fresh; stale: while refreshing it) or waited for the service for (miss), by what it holds: catalog, order-lists',
  labelNames: ['cache', 'outcome'],
});

/**
 * A read-through cache for answers every customer shares (the catalog): the gateway answers them
 * itself, so a catalog read never waits for inventory-service however busy the decisions keep it.
 * An answer younger than `freshMs` is served as is; an older one, up to `maxStaleMs`, is served at
 * once while one refresh runs in the background (a failed refresh leaves it in place, so the
 * catalog stays readable through a short outage); older than that, or none, the read waits for the
 * service. Concurrent misses of one key share one request.
 *
 * Bounded: at most `maxBytes` of answers (measured as JSON), the least recently read go first.
 */
export class SharedReadCache<T> {
  private readonly held = new Map<string, Held<T>>();
  private readonly loading = new Map<string, Promise<T>>();
  private bytes = 0;
  /** bumped by `clear`: a load that began before it stores nothing */
  private generation = 0;

  constructor(
    private readonly name: string,
    private readonly options: SharedReadCacheOptions,
  ) {}

  async read(key: string, fetch: () => Promise<T>): Promise<{ value: T; ageMs: number; outcome: CacheOutcome }> {
    const now = this.options.now?.() ?? Date.now();
    const entry = this.held.get(key);
    if (entry && now - entry.fetchedAt <= this.options.maxStaleMs) {
      // re-inserted: a Map iterates in insertion order, so the least recently read come first
      this.held.delete(key);
      this.held.set(key, entry);
      const ageMs = now - entry.fetchedAt;
      const outcome = ageMs <= this.options.freshMs ? 'fresh' : 'stale';
      if (outcome === 'stale' && !this.loading.has(key)) this.load(key, fetch).catch(() => undefined);
      readCacheReads.inc({ cache: this.name, outcome });
      return { value: entry.value, ageMs, outcome };
    }
    readCacheReads.inc({ cache: this.name, outcome: 'miss' });
    return { value: await this.load(key, fetch), ageMs: 0, outcome: 'miss' };
  }

  /** Forgets every answer (after a change through this instance, which its next read should show). */
  clear(): void {
    this.held.clear();
    this.bytes = 0;
    this.generation++;
  }

  size(): { answers: number; bytes: number } {
    return { answers: this.held.size, bytes: this.bytes };
  }

  private load(key: string, fetch: () => Promise<T>): Promise<T> {
    const inFlight = this.loading.get(key);
    if (inFlight) return inFlight;
    const generation = this.generation;
    const loading = fetch()
      .then((value) => {
        if (generation === this.generation) this.store(key, value);
        return value;
      })
      .finally(() => this.loading.delete(key));
    this.loading.set(key, loading);
    return loading;
  }

  private store(key: string, value: T): void {
    const known = this.held.get(key);
    if (known) {
      this.held.delete(key);
      this.bytes -= known.bytes;
    }
    const bytes = 2 * JSON.stringify(value).length + 200;
    if (bytes > this.options.maxBytes) return;
    this.held.set(key, { value, fetchedAt: this.options.now?.() ?? Date.now(), bytes });
    this.bytes += bytes;
    for (const [oldest, entry] of this.held) {
      if (this.bytes <= this.options.maxBytes) break;
      this.held.delete(oldest);
      this.bytes -= entry.bytes;
    }
  }
}
