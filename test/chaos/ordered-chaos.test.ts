/**
 * Ordering under faults, on private servers of its own: 20 documents × 6 events to a webhook with `ordering:
 * document`, the receiver answering 503 half the time and the worker SIGKILLed 5 times. All 120 arrive, each
 * document's in publish order, the documents interleaved (they are published in turn). The 50 × 6 is
 * `npm run chaos -- --events 300 --webhooks 1 --ordered-documents 50 --kills 5` (minutes: run by hand).
 */
import { runChaos } from '../../scripts/lib/chaos-run';

test('20 documents × 6 events, ordered by document, through 503s and 5 worker kills: all arrive, in order', async () => {
  const report = await runChaos({
    events: 120,
    webhooks: 1,
    orderedDocuments: 20,
    workerKills: 5,
    restartTemporal: false,
    restartStore: false,
    receiverDownMs: 0,
    say: () => undefined,
  });
  const injected = Object.fromEntries(report.faults.map((f) => [f.fault, f.injected]));
  expect(injected['worker SIGKILL + restart']).toBe(5);
  expect(injected['receiver answered 503 (half the requests)']).toBeGreaterThan(0);
  expect(report).toMatchObject({
    expected: 120,
    delivered: 120,
    lost: 0,
    notSucceeded: 0,
    attemptGaps: 0,
    stillRunning: 0,
    ordered: 120,
    outOfOrder: 0,
  });
}, 900_000);
