/**
 * Watches the store's commands through the driver's command monitoring and tells when they stop answering:
 * a command in flight longer than MONGODB_TIMEOUT_MS, or one that failed by running out of time, counts as
 * timed out. A wedged store (FerretDB with every backend connection held) still answers `ping` and opens
 * connections, so only the commands themselves show it. One log line when calls start timing out, one when
 * they answer again, and a gauge and a counter for alerts.
 */
import type { MongoClient } from 'mongodb';
import type { Logger } from '../logger';

export interface StoreCommandSnapshot {
  /** Commands sent and not yet answered. */
  inFlight: number;
  /** Of those, the ones waiting longer than the bound. */
  stalled: number;
  /** The oldest one waiting: its name and age. */
  oldest?: { command: string; ageMs: number };
  /** Commands that passed the bound since the process started (still waiting, answered late or failed). */
  timedOutTotal: number;
}

interface InFlight {
  command: string;
  startedAt: number;
  timedOut: boolean;
}

export class StoreCommandWatch {
  private readonly inFlight = new Map<string, InFlight>();
  private timedOutTotal = 0;
  private stalling = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    client: MongoClient,
    private readonly options: { boundMs: number; logger?: Logger; now?: () => number },
  ) {
    const key = (event: { requestId: number; connectionId?: string | number }) =>
      `${String(event.connectionId)}:${event.requestId}`;
    client.on('commandStarted', (event) => {
      this.inFlight.set(key(event), { command: event.commandName, startedAt: this.now(), timedOut: false });
    });
    client.on('commandSucceeded', (event) => this.finish(key(event), false));
    client.on('commandFailed', (event) => this.finish(key(event), isTimeout(event.failure)));
    // Often enough to tell within the bound; unref'd so it never keeps a process alive.
    this.timer = setInterval(() => this.sweep(), Math.max(100, Math.min(1000, options.boundMs / 2)));
    this.timer.unref();
  }

  snapshot(): StoreCommandSnapshot {
    const now = this.now();
    let stalled = 0;
    let oldest: StoreCommandSnapshot['oldest'];
    for (const command of this.inFlight.values()) {
      const ageMs = now - command.startedAt;
      if (ageMs > this.options.boundMs) stalled++;
      if (!oldest || ageMs > oldest.ageMs) oldest = { command: command.command, ageMs };
    }
    return { inFlight: this.inFlight.size, stalled, oldest, timedOutTotal: this.timedOutTotal };
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Marks commands that just passed the bound, and logs when the store starts or stops timing out. */
  sweep(): void {
    const now = this.now();
    for (const command of this.inFlight.values()) {
      if (!command.timedOut && now - command.startedAt > this.options.boundMs) this.markTimedOut(command);
    }
    const snapshot = this.snapshot();
    if (snapshot.stalled > 0 && !this.stalling) {
      this.stalling = true;
      this.options.logger?.error(
        {
          stalledCommands: snapshot.stalled,
          inFlight: snapshot.inFlight,
          oldestCommand: snapshot.oldest?.command,
          oldestWaitMs: snapshot.oldest?.ageMs,
          boundMs: this.options.boundMs,
        },
        'store calls are timing out: commands wait longer than MONGODB_TIMEOUT_MS',
      );
    } else if (snapshot.stalled === 0 && this.stalling) {
      this.stalling = false;
      this.options.logger?.info({ timedOutTotal: this.timedOutTotal }, 'store calls answer again');
    }
  }

  private finish(key: string, failedByTimeout: boolean): void {
    const command = this.inFlight.get(key);
    if (!command) return;
    this.inFlight.delete(key);
    if (!command.timedOut && (failedByTimeout || this.now() - command.startedAt > this.options.boundMs)) {
      this.markTimedOut(command);
    }
  }

  private markTimedOut(command: InFlight): void {
    command.timedOut = true;
    this.timedOutTotal++;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}

function isTimeout(failure: unknown): boolean {
  return (
    failure instanceof Error &&
    /time(d)?\s?out|MaxTimeMSExpired|exceeded time limit/i.test(failure.name + failure.message)
  );
}
