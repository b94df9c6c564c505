/** Polls a readiness probe until it succeeds, the process dies, or the deadline passes. */
export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Returns a reason when waiting is pointless (e.g. the process already exited). */
  abortReason?: () => string | undefined;
}

export async function waitUntilReady(probe: () => Promise<void>, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    const aborted = options.abortReason?.();
    if (aborted) throw new Error(aborted, { cause: lastError });
    try {
      await probe();
      return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? lastError.message : String(lastError);
      throw new Error(`not ready after ${Math.round(options.timeoutMs / 1000)} s (last error: ${detail})`, {
        cause: lastError,
      });
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
  }
}

/**
 * Asks `done` every `intervalMs` until it says true (then true) or `deadline` (epoch ms) passes (then false).
 * Unlike waitUntilReady, an error of `done` is not a "not yet": it is thrown.
 */
export async function pollUntil(deadline: number, done: () => Promise<boolean>, intervalMs = 200): Promise<boolean> {
  for (;;) {
    if (await done()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
