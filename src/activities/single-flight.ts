/**
 * At most one run per key in this process: a call that finds its key running joins that run and gets its
 * result (or its error) instead of starting a second one. A run older than `maxJoinMs` is no longer joined
 * (it may hang on a dead socket): the next call starts its own, which must therefore be safe to repeat.
 */
export class SingleFlight<T> {
  private readonly running = new Map<string, { run: Promise<T>; startedAt: number }>();

  constructor(private readonly options: { maxJoinMs: number; onJoin?: (key: string) => void; now?: () => number }) {}

  run(key: string, work: () => Promise<T>): Promise<T> {
    const now = this.options.now?.() ?? Date.now();
    const current = this.running.get(key);
    if (current && now - current.startedAt < this.options.maxJoinMs) {
      this.options.onJoin?.(key);
      return current.run;
    }
    const entry = { run: work(), startedAt: now };
    entry.run = entry.run.finally(() => {
      if (this.running.get(key) === entry) this.running.delete(key);
    });
    this.running.set(key, entry);
    return entry.run;
  }
}
