import { SharedReadCache } from './shared-read-cache';

/** The clock is the test's; `source` counts what reached the service. */
function setUp(options: { maxBytes?: number } = {}) {
  let now = 0;
  const cache = new SharedReadCache<string>('test', {
    freshMs: 1_000,
    maxStaleMs: 30_000,
    maxBytes: options.maxBytes ?? 1_048_576,
    now: () => now,
  });
  let calls = 0;
  let answer = 'v1';
  const source = () => {
    calls++;
    return Promise.resolve(answer);
  };
  return {
    cache,
    source,
    calls: () => calls,
    answer: (value: string) => (answer = value),
    at: (ms: number) => (now = ms),
  };
}

describe('SharedReadCache', () => {
  it('serves a fresh answer without asking, a stale one at once while refreshing it once in the background', async () => {
    const t = setUp();
    expect(await t.cache.read('page', t.source)).toEqual({ value: 'v1', ageMs: 0, outcome: 'miss' });
    t.at(1_000);
    expect(await t.cache.read('page', t.source)).toMatchObject({ value: 'v1', outcome: 'fresh' });
    expect(t.calls()).toBe(1);

    t.answer('v2');
    t.at(1_500);
    const stale = await Promise.all([t.cache.read('page', t.source), t.cache.read('page', t.source)]);
    expect(stale.map((read) => [read.value, read.outcome, read.ageMs])).toEqual([
      ['v1', 'stale', 1_500],
      ['v1', 'stale', 1_500],
    ]);
    expect(t.calls()).toBe(2); // one refresh for both
    await Promise.resolve();
    expect(await t.cache.read('page', t.source)).toMatchObject({ value: 'v2', outcome: 'fresh', ageMs: 0 });
  });

  it('waits for the service when the answer is older than maxStaleMs, and concurrent misses share one request', async () => {
    const t = setUp();
    await t.cache.read('page', t.source);
    t.at(30_001);
    t.answer('v2');
    const reads = await Promise.all([t.cache.read('page', t.source), t.cache.read('page', t.source)]);
    expect(reads.map((read) => [read.value, read.outcome])).toEqual([
      ['v2', 'miss'],
      ['v2', 'miss'],
    ]);
    expect(t.calls()).toBe(2);
  });

  it('keeps the stale answer when a refresh fails (the catalog stays readable through an outage); a miss fails', async () => {
    const t = setUp();
    await t.cache.read('page', t.source);
    t.at(5_000);
    const failing = () => Promise.reject(new Error('inventory-service did not answer'));
    expect(await t.cache.read('page', failing)).toMatchObject({ value: 'v1', outcome: 'stale' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(await t.cache.read('page', failing)).toMatchObject({ value: 'v1', outcome: 'stale' });
    await expect(t.cache.read('other page', failing)).rejects.toThrow('did not answer');
    expect(t.cache.size().answers).toBe(1);
  });

  it('holds at most maxBytes, forgetting the least recently read first', async () => {
    // each answer: 2 bytes a character of its JSON ("x…x": 100 characters) + 200 = 400
    const t = setUp({ maxBytes: 2 * 400 + 1 });
    const hundred = (c: string) => () => Promise.resolve(c.repeat(98));
    await t.cache.read('a', hundred('a'));
    await t.cache.read('b', hundred('b'));
    await t.cache.read('a', hundred('a')); // a is now the most recently read
    await t.cache.read('c', hundred('c'));
    expect(t.cache.size()).toEqual({ answers: 2, bytes: 800 });
    expect((await t.cache.read('a', hundred('a'))).outcome).toBe('fresh');
    expect((await t.cache.read('b', hundred('b'))).outcome).toBe('miss');
  });

  it('clear: the next read asks the service, and a request already under way stores nothing', async () => {
    const t = setUp();
    let release: (value: string) => void = () => undefined;
    const slow = () => new Promise<string>((resolve) => (release = resolve));
    const underWay = t.cache.read('page', slow);
    t.cache.clear();
    release('before the change');
    expect((await underWay).value).toBe('before the change');
    expect((await t.cache.read('page', t.source)).outcome).toBe('miss');
  });
});
