/**
 * Keeps the `docflo_deliveries_open` gauge from the store: every interval, not per scrape (a scrape never
 * waits on the store, and N scrapers cost nothing more). Every worker counts the same store, so each reports
 * the same totals: aggregate with max(), not sum().
 */
import type { Logger } from '../logger';
import type { Store } from '../store';
import type { DeliveryStatus } from '../store/model';
import type { WorkerMetrics } from './metrics';

const COUNTED: DeliveryStatus[] = ['pending', 'retrying', 'paused'];

export function startOpenDeliveriesGauge(deps: {
  store: Store;
  metrics: WorkerMetrics;
  intervalSeconds: number;
  logger: Logger;
}): { refresh(): Promise<void>; stop(): void } {
  let running: Promise<void> | undefined;
  async function count(): Promise<void> {
    const counts = await deps.store.deliveries.countByStatus(COUNTED);
    for (const status of COUNTED) deps.metrics.deliveriesOpen.set({ status }, counts[status] ?? 0);
  }
  function refresh(): Promise<void> {
    running ??= count()
      .catch((err: unknown) => deps.logger.warn({ err }, 'could not count open deliveries for the metrics'))
      .finally(() => {
        running = undefined;
      });
    return running;
  }
  void refresh();
  const timer = setInterval(() => void refresh(), deps.intervalSeconds * 1000);
  timer.unref();
  return {
    refresh,
    stop() {
      clearInterval(timer);
    },
  };
}
