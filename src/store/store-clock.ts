/**
 * The store's clock, as seen from this process: claim leases are written and compared in it, so two workers
 * whose own clocks disagree still agree on when a lease ends. The offset between the local clock and the
 * store's (its `hello` reply's localTime) is measured from a round trip and refreshed every minute; its error
 * is at most half the round trip plus the store's clock resolution (one millisecond). The assumption left: the
 * store's own clock does not jump by more than the lease margin between two measurements.
 */
export interface ClockReading {
  /** The store's clock when it answered. */
  serverTime: Date;
}

const REFRESH_MS = 60_000;

export class StoreClock {
  private offsetMs = 0;
  private measuredAt = -Infinity;
  private measuring: Promise<void> | undefined;

  constructor(
    private readonly read: () => Promise<ClockReading>,
    private readonly local: () => Date = () => new Date(),
    private readonly refreshMs = REFRESH_MS,
  ) {}

  /** The store's time now (the local clock corrected by the last measured offset). */
  async now(): Promise<Date> {
    if (this.local().getTime() - this.measuredAt >= this.refreshMs) await this.measure();
    return new Date(this.local().getTime() + this.offsetMs);
  }

  /** The last measured offset: store time minus local time, in ms. */
  get offset(): number {
    return this.offsetMs;
  }

  private measure(): Promise<void> {
    this.measuring ??= (async () => {
      try {
        const sent = this.local().getTime();
        const { serverTime } = await this.read();
        const received = this.local().getTime();
        this.offsetMs = serverTime.getTime() - (sent + received) / 2;
        this.measuredAt = received;
      } finally {
        this.measuring = undefined;
      }
    })();
    return this.measuring;
  }
}
