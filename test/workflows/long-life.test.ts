/**
 * A delivery lives as long as it must (issue 17): a run continues as new, carrying its fate, before its history
 * passes DELIVERY_HISTORY_LIMIT, however long it stays paused and however many redeliveries it gets. Here the
 * limit is 60 events and the pause re-check one second, so a few seconds pass the limit several times.
 */
import type { History } from '@temporalio/common/lib/proto-utils';
import { deliveryIn, eventually, startTestEngine, type TestEngine } from '../helpers/engine';
import { publishedDelivery } from '../helpers/published-delivery';
import type { Reply } from '../helpers/receiver';

const LIMIT = 60;
/**
 * A run decides to continue at its first quiet point past the limit: one attempt's events may come first, and
 * the run's patch marker (delivery-timers-never-cancelled, once per run that waits on a timer).
 */
const SLACK = 16;

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine({
    retrySchedule: [3600],
    env: { DELIVERY_PAUSE_RECHECK: '1s', DELIVERY_PAUSE_RECHECK_MAX: '1s', DELIVERY_HISTORY_LIMIT: String(LIMIT) },
  });
});
afterAll(async () => {
  await t.dispose();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const deliveryTo = (reply: (index: number) => Reply) =>
  publishedDelivery(t, reply, { retrySchedule: [3600], event: 'document.processed' });

/** The run the event's dispatch started (its record is written just before the start). */
async function firstRunOf(workflowId: string): Promise<string> {
  return eventually(async () => {
    const described = await t.temporal.workflow
      .getHandle(workflowId)
      .describe()
      .catch(() => undefined);
    return described?.runId;
  });
}

/** Every run of the workflow ID from its first, following continue-as-new. */
async function chain(workflowId: string, firstRunId: string): Promise<History[]> {
  const runs: History[] = [];
  let runId: string | undefined = firstRunId;
  while (runId) {
    const history: History = await t.temporal.workflow.getHandle(workflowId, runId).fetchHistory();
    runs.push(history);
    const last = history.events?.at(-1);
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return runs;
}

test('a delivery paused past the history limit several times continues as new each time, and resumes correctly', async () => {
  let healthy = false;
  const d = await deliveryTo(() => ({ status: healthy ? 200 : 503 }));
  const firstRunId = await firstRunOf(d.delivery.workflowId);
  await deliveryIn(t.store, d.delivery._id, ['retrying']);
  await t.engine.setWebhookStatus(d.tenantId, d.webhook._id, 'inactive');
  await deliveryIn(t.store, d.delivery._id, ['paused']);
  await eventually(
    async () => ((await chain(d.delivery.workflowId, firstRunId)).length >= 4 ? true : undefined),
    60_000,
    'three continues-as-new while paused',
  );
  healthy = true;
  await t.engine.setWebhookStatus(d.tenantId, d.webhook._id, 'active');
  await deliveryIn(t.store, d.delivery._id, ['retrying']);
  expect(await t.engine.retryNow(d.tenantId, d.delivery._id)).toBe(true);
  expect(await deliveryIn(t.store, d.delivery._id, ['succeeded'])).toMatchObject({ attemptCount: 2 });
  expect(d.receiver.requests).toHaveLength(2);
  const runs = await chain(d.delivery.workflowId, firstRunId);
  expect(runs.length).toBeGreaterThanOrEqual(4);
  for (const run of runs) expect(run.events?.length).toBeLessThanOrEqual(LIMIT + SLACK);
}, 120_000);

test('300 manual redeliveries of one delivery stay within the history limit, numbered 1..301 without a gap', async () => {
  const d = await deliveryTo(() => ({ status: 500 }));
  const firstRunId = await firstRunOf(d.delivery.workflowId);
  await deliveryIn(t.store, d.delivery._id, ['retrying']);
  for (let i = 0; i < 300; i++) {
    const answer = await t.engine.redeliver(d.tenantId, d.delivery._id, `k${i}`);
    expect(answer).toMatchObject({ kind: 'failed', attempt: i + 2 });
  }
  const attempts = await t.store.deliveries.listAttempts(d.delivery._id);
  expect(attempts.map((a) => a.attempt)).toEqual(Array.from({ length: 301 }, (_, i) => i + 1));
  expect(await deliveryIn(t.store, d.delivery._id, ['retrying'])).toMatchObject({ attemptCount: 301 });
  await sleep(500);
  const runs = await chain(d.delivery.workflowId, firstRunId);
  expect(runs.length).toBeGreaterThan(10);
  for (const run of runs) expect(run.events?.length).toBeLessThanOrEqual(LIMIT + SLACK);
  // The same key again, long after its run continued as new: the same answer, nothing sent.
  expect(await t.engine.redeliver(d.tenantId, d.delivery._id, 'k0')).toMatchObject({ kind: 'failed', attempt: 2 });
  expect(d.receiver.requests).toHaveLength(301);
}, 240_000);
