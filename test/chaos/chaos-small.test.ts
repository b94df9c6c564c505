/**
 * The chaos suite's small size, on private servers of its own: worker SIGKILLs, a Temporal restart, a store
 * restart, a receiver that fails half the time and goes down, duplicate publishes, a webhook paused and
 * resumed at random moments, a delivery workflow terminated by hand. Nothing may be lost, and the webhook with
 * `ordering: document` gets each document's events in publish order.
 */
import { runChaos } from '../../scripts/lib/chaos-run';

test('under worker kills, server restarts, a flaky and a downed receiver and duplicate publishes, nothing is lost', async () => {
  const report = await runChaos({
    events: 10,
    webhooks: 2,
    workerKills: 3,
    restartTemporal: true,
    restartStore: true,
    receiverDownMs: 2_000,
    pauseResumeToggles: 3,
    terminateDelivery: true,
    orderedDocuments: 3,
    say: () => undefined,
  });
  const injected = Object.fromEntries(report.faults.map((f) => [f.fault, f.injected]));
  expect(injected['worker SIGKILL + restart']).toBe(3);
  expect(injected['Temporal server restart']).toBe(1);
  expect(injected['store restart']).toBe(1);
  expect(injected['receiver down']).toBe(1);
  expect(injected['webhook paused and resumed']).toBe(3);
  expect(injected['delivery workflow terminated by hand (reconciler repairs)']).toBe(1);
  expect(injected['receiver answered 503 (half the requests)']).toBeGreaterThan(0);
  // 10 events × 2 webhooks, plus the events published to catch a delivery in retry for the terminate fault.
  expect(report.expected).toBeGreaterThanOrEqual(20);
  expect(report).toMatchObject({
    delivered: report.expected,
    lost: 0,
    notSucceeded: 0,
    attemptGaps: 0,
    stillRunning: 0,
    outOfOrder: 0,
  });
  // The second webhook keeps each of the 3 documents' order: its 10 deliveries (and the terminate fault's).
  expect(report.ordered).toBeGreaterThanOrEqual(10);
}, 600_000);
