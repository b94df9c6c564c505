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
/** A measurement the store does not answer within this is given up (the last offset stands). */
const MEASURE_TIMEOUT_MS = 2_000;
const RETRY_MS = 5_000;

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
    if (this.local().getTime() - this.measuredAt >= this.refreshMs) {
      try {
        await this.measure();
      } catch (err) {
        // A store that does not answer now keeps the last offset (tried again in a few seconds): a try still
        // recording its outcome must be able to tell its lease. Never measured: nothing to fall back on.
        if (this.measuredAt === -Infinity) throw err;
        this.measuredAt = this.local().getTime() - this.refreshMs + RETRY_MS;
      }
    }
    return new Date(this.local().getTime() + this.offsetMs);
  }

  private measure(): Promise<void> {
    this.measuring ??= (async () => {
      try {
        const sent = this.local().getTime();
        // A refresh is bounded (the last offset stands if it fails); the first measurement waits as long as the
        // store's driver does, since there is nothing to fall back on.
        const reading = this.read();
        const { serverTime } =
          this.measuredAt === -Infinity ? await reading : await within(reading, MEASURE_TIMEOUT_MS);
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

async function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the store did not say its time in time')), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
