/**
 * Ordering under faults, on private servers of its own: 50 documents × 6 events to a webhook with `ordering:
 * document`, the receiver answering 503 half the time and the worker SIGKILLed 5 times. All 300 arrive, each
 * document's in publish order, the documents interleaved (they are published in turn).
 */
import { runChaos } from '../../scripts/lib/chaos-run';

test('50 documents × 6 events, ordered by document, through 503s and 5 worker kills: all arrive, in order', async () => {
  const report = await runChaos({
    events: 300,
    webhooks: 1,
    orderedDocuments: 50,
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
    expected: 300,
    delivered: 300,
    lost: 0,
    notSucceeded: 0,
    attemptGaps: 0,
    stillRunning: 0,
    ordered: 300,
    outOfOrder: 0,
  });
}, 900_000);
