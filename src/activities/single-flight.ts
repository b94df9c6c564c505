/**
 * At most one run per key in this process: a call that finds its key running joins that run and gets its
 * result (or its error) instead of starting a second one.
 */
export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  constructor(private readonly onJoin?: (key: string) => void) {}

  run(key: string, work: () => Promise<T>): Promise<T> {
    const current = this.running.get(key);
    if (current) {
      this.onJoin?.(key);
      return current;
    }
    const started = work().finally(() => this.running.delete(key));
    this.running.set(key, started);
    return started;
  }

  get size(): number {
    return this.running.size;
  }
}
