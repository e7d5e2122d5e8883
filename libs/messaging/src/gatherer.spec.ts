import { Gatherer } from './gatherer';

/** A gatherer whose flushes are recorded and finish when the test says so. */
function recording(max: number, lingerMs: number) {
  const flushes: number[][] = [];
  const finish: Array<(error?: Error) => void> = [];
  const gatherer = new Gatherer<number>(
    (items) =>
      new Promise<void>((resolve, reject) => {
        flushes.push(items);
        finish.push((error) => (error ? reject(error) : resolve()));
      }),
    max,
    lingerMs,
  );
  return { gatherer, flushes, finish };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('Gatherer', () => {
  it('flushes at once when `max` items wait, and each caller settles with its flush', async () => {
    const { gatherer, flushes, finish } = recording(4, 10_000);
    const a = gatherer.add([1, 2]);
    const b = gatherer.add([3, 4]);
    await tick();
    expect(flushes).toEqual([[1, 2, 3, 4]]);
    finish[0]();
    await expect(Promise.all([a, b])).resolves.toEqual([undefined, undefined]);
  });

  it('flushes what waits `lingerMs` after the first item came', async () => {
    const { gatherer, flushes, finish } = recording(100, 20);
    const started = Date.now();
    const a = gatherer.add([1]);
    await tick();
    expect(flushes).toEqual([]);
    while (flushes.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    expect(flushes).toEqual([[1]]);
    finish[0]();
    await a;
  });

  it('runs one flush at a time, takes whole hand-ins up to `max`, and rejects only the callers of a failed flush', async () => {
    const { gatherer, flushes, finish } = recording(3, 10_000);
    const first = gatherer.add([1, 2, 3]);
    await tick();
    const second = gatherer.add([4, 5]);
    const third = gatherer.add([6, 7]);
    await tick();
    expect(flushes).toEqual([[1, 2, 3]]); // the next waits for this one
    finish[0](new Error('refused'));
    await expect(first).rejects.toThrow('refused');
    await tick();
    expect(flushes[1]).toEqual([4, 5]); // [6, 7] would make it 4 > max: it waits for the next flush
    finish[1]();
    await expect(second).resolves.toBeUndefined();
    await tick();
    expect(flushes[2]).toEqual([6, 7]);
    finish[2]();
    await expect(third).resolves.toBeUndefined();
  });

  it('takes a hand-in larger than `max` whole, on its own', async () => {
    const { gatherer, flushes, finish } = recording(2, 10_000);
    const big = gatherer.add([1, 2, 3, 4, 5]);
    await tick();
    expect(flushes).toEqual([[1, 2, 3, 4, 5]]);
    finish[0]();
    await big;
  });
});
