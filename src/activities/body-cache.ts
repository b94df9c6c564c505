/**
 * Event bodies, per worker process. A body never changes once stored (the exact bytes every attempt sends),
 * so a cached copy is always right; the five deliveries of an event then read it from the store once, when
 * dispatch primes the cache, instead of once each. Bounded by total size, oldest dropped first.
 */
export class BodyCache {
  private readonly entries = new Map<string, string>();
  private bytes = 0;

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  get(eventKey: string): string | undefined {
    const body = this.entries.get(eventKey);
    if (body !== undefined) {
      // Most recently used last: Map keeps insertion order.
      this.entries.delete(eventKey);
      this.entries.set(eventKey, body);
    }
    return body;
  }

  set(eventKey: string, body: string): void {
    if (this.entries.has(eventKey) || body.length > this.maxBytes) return;
    this.entries.set(eventKey, body);
    this.bytes += body.length;
    for (const [key, value] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(key);
      this.bytes -= value.length;
    }
  }
}
