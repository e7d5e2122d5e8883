/**
 * Which partitions a consumer has messages in hand for, and when each last made progress: a
 * partition whose messages have not moved for a while is stuck (a handler waiting on something
 * that does not come), which readiness reports.
 */
export class ConsumerProgress {
  private readonly lastProgress = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** messages of `partition` are in hand */
  started(partition: string): void {
    this.lastProgress.set(partition, this.now());
  }

  /** some of them were handled */
  advanced(partition: string): void {
    if (this.lastProgress.has(partition)) this.lastProgress.set(partition, this.now());
  }

  /** none are in hand any more */
  finished(partition: string): void {
    this.lastProgress.delete(partition);
  }

  /** partitions with messages in hand and no progress for `forMs` */
  stalled(forMs: number): string[] {
    const now = this.now();
    return [...this.lastProgress].filter(([, at]) => now - at >= forMs).map(([partition]) => partition);
  }
}
