/**
 * Collects what concurrent callers hand in and processes it together: a flush starts when `max`
 * items are waiting or `lingerMs` after the first arrived, one flush at a time; each caller's
 * promise settles when the flush holding its items is done. (The consumer hands in the messages
 * of many partitions, so a batch fills across partitions.)
 */
export class Gatherer<T> {
  private waiting: { items: T[]; resolve(): void; reject(error: unknown): void }[] = [];
  private count = 0;
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly process: (items: T[]) => Promise<void>,
    private readonly max: number,
    private readonly lingerMs: number,
  ) {}

  add(items: T[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ items, resolve, reject });
      this.count += items.length;
      if (this.count >= this.max) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), this.lingerMs);
    });
  }

  private async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running || this.waiting.length === 0) return;
    this.running = true;
    // take whole hand-ins up to `max` items; the rest wait for the next flush
    const taken: typeof this.waiting = [];
    let size = 0;
    while (this.waiting.length > 0 && (size === 0 || size + this.waiting[0].items.length <= this.max)) {
      const next = this.waiting.shift() as (typeof this.waiting)[number];
      taken.push(next);
      size += next.items.length;
    }
    this.count -= size;
    try {
      await this.process(taken.flatMap((w) => w.items));
      for (const w of taken) w.resolve();
    } catch (error) {
      for (const w of taken) w.reject(error);
    } finally {
      this.running = false;
      if (this.waiting.length > 0) void this.flush();
    }
  }
}
