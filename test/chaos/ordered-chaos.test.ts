/**
 * Ordering under faults, on private servers of their own: the receiver answers 503 half the time and the worker
 * is SIGKILLed 5 times (the sizes: 50 documents × 6 events by document; the whole webhook in one order
 * at 30 events, each delivery waiting for the one before it). All arrive, in publish order.
 */
import { runChaos, type ChaosOptions } from '../../scripts/lib/chaos-run';

const faults: Omit<ChaosOptions, 'events' | 'orderedDocuments' | 'say'> = {
  webhooks: 1,
  workerKills: 5,
  restartTemporal: false,
  restartStore: false,
  receiverDownMs: 0,
};

async function orderedRun(events: number, documents: number, ordering: 'document' | 'webhook') {
  const report = await runChaos({ ...faults, events, orderedDocuments: documents, ordering, say: () => undefined });
  const injected = Object.fromEntries(report.faults.map((f) => [f.fault, f.injected]));
  expect(injected['worker SIGKILL + restart']).toBe(5);
  expect(injected['receiver answered 503 (half the requests)']).toBeGreaterThan(0);
  expect(report).toMatchObject({
    expected: events,
    delivered: events,
    lost: 0,
    notSucceeded: 0,
    attemptGaps: 0,
    stillRunning: 0,
    ordered: events,
    outOfOrder: 0,
  });
}

test('50 documents × 6 events, ordered by document, through 503s and 5 worker kills: all arrive, in order', async () => {
  await orderedRun(300, 50, 'document');
}, 900_000);

test('30 events ordered by webhook, through 503s and 5 worker kills: all arrive, in one order', async () => {
  await orderedRun(30, 10, 'webhook');
}, 900_000);
