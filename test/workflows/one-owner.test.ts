/**
 * Where two writers of a delivery's fate used to meet, each forced on the real servers (issue 17): a paused
 * delivery restarted by the reconciler, a redelivery of an open delivery whose run is gone, a manual attempt
 * queued behind one in flight when the webhook is paused, a delete or an operator's cancel during an attempt,
 * repeated Idempotency-Keys, and a worker whose clock runs ahead. Each failed on the code before the delivery
 * workflow became the only owner of its delivery's status.
 */
import { composeSender } from '../../src/composition';
import { createSendAttempt } from '../../src/activities/send-attempt';
import { createLogger } from '../../src/logger';
import { DEFAULT_RETRY_POLICY } from '../../src/delivery/retry-policy';
import { deliveryIn, eventually, startTestEngine, uniqueId, type TestEngine } from '../helpers/engine';
import { publishedDelivery } from '../helpers/published-delivery';
import { startReceiver, type Reply } from '../helpers/receiver';
import type { Store } from '../../src/store';

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine({ retrySchedule: [3600], env: { RECONCILE_INTERVAL: '2s' } });
});
afterAll(async () => {
  await t.dispose();
  await t.temporal.schedule
    .getHandle(`docflo-reconcile:${t.taskQueue}`)
    .delete()
    .catch(() => undefined);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A webhook answering as `reply` says, one event published to it, and its delivery record. */
const deliveryTo = (reply: (index: number) => Reply, retrySchedule = [3600]) =>
  publishedDelivery(t, reply, { retrySchedule });

/** How a redelivery request ended: its answer, or the error it was refused with. */
async function settled<T>(promise: Promise<T>): Promise<{ value?: T; error?: Error }> {
  try {
    return { value: await promise };
  } catch (err) {
    return { error: err as Error };
  }
}

test('a paused delivery whose workflow is terminated is restarted paused: it holds with a short history and resumes with its webhook', async () => {
  let healthy = false;
  const d = await deliveryTo(() => ({ status: healthy ? 200 : 503 }));
  await deliveryIn(t.store, d.delivery._id, ['retrying']);
  await t.engine.setWebhookStatus(d.tenantId, d.webhook._id, 'inactive');
  await deliveryIn(t.store, d.delivery._id, ['paused']);
  const before = (await d.handle.describe()).runId;
  await d.handle.terminate('issue 17: an operator terminates a paused delivery');
  const restarted = await eventually(
    async () => {
      const described = await d.handle.describe();
      return described.runId !== before && described.status.name === 'RUNNING' ? described.runId : undefined;
    },
    30_000,
    'the reconciler to restart the delivery',
  );
  await sleep(12_000); // past a workflow task's heartbeat (8 s): a loop of local activities would show by now
  const events = (await t.temporal.workflow.getHandle(d.delivery.workflowId, restarted).fetchHistory()).events ?? [];
  expect(events.length).toBeLessThan(60); // a hot loop wrote thousands of local-activity markers here
  expect(d.receiver.requests).toHaveLength(1);
  expect((await t.store.deliveries.findById(d.delivery._id))?.status).toBe('paused');
  healthy = true;
  await t.engine.setWebhookStatus(d.tenantId, d.webhook._id, 'active');
  await deliveryIn(t.store, d.delivery._id, ['retrying']); // the resume reached it
  expect(await t.engine.retryNow(d.tenantId, d.delivery._id)).toBe(true);
  expect(await deliveryIn(t.store, d.delivery._id, ['succeeded'])).toMatchObject({ attemptCount: 2 });
}, 90_000);

test('a redelivery of an open delivery whose run is gone keeps it open: its schedule goes on and delivers', async () => {
  let healthy = false;
  const d = await deliveryTo(() => ({ status: healthy ? 200 : 500 }));
  await deliveryIn(t.store, d.delivery._id, ['retrying']);
  await d.handle.terminate('issue 17: the run is gone');
  const answer = await t.engine.redeliver(d.tenantId, d.delivery._id, uniqueId('key'));
  expect(answer).toMatchObject({ kind: 'failed', attempt: 2 });
  // The delivery is still open and a run owns it: retry-now reaches it, and it delivers.
  expect((await t.store.deliveries.findById(d.delivery._id))?.status).toBe('retrying');
  expect((await d.handle.describe()).status.name).toBe('RUNNING');
  healthy = true;
  expect(await t.engine.retryNow(d.tenantId, d.delivery._id)).toBe(true);
  expect(await deliveryIn(t.store, d.delivery._id, ['succeeded'])).toMatchObject({ attemptCount: 3 });
  expect(d.receiver.requests).toHaveLength(3);
}, 60_000);

test('a manual attempt queued behind one in flight is not sent once the webhook is paused', async () => {
  const d = await deliveryTo((i) => (i === 0 ? { status: 500, delayMs: 3_000 } : { status: 200 }));
  await d.receiver.waitForRequests(1);
  const redelivery = settled(t.engine.redeliver(d.tenantId, d.delivery._id, uniqueId('key')));
  await sleep(300); // the update is queued behind the attempt in flight
  await t.engine.setWebhookStatus(d.tenantId, d.webhook._id, 'inactive');
  const outcome = await redelivery;
  expect(outcome.error?.name).toBe('ConflictStateError');
  await sleep(2_000);
  expect(d.receiver.requests).toHaveLength(1);
  expect(await deliveryIn(t.store, d.delivery._id, ['paused'])).toMatchObject({ attemptCount: 1 });
}, 60_000);

test('deleting the webhook during a retry that succeeds records succeeded', async () => {
  const d = await deliveryTo((i) => (i === 0 ? { status: 500 } : { status: 200, delayMs: 2_000 }), [1]);
  await d.receiver.waitForRequests(2);
  await t.engine.deleteWebhook(d.tenantId, d.webhook._id);
  await d.handle.result();
  expect(await t.store.deliveries.findById(d.delivery._id)).toMatchObject({
    status: 'succeeded',
    attemptCount: 2,
    lastStatusCode: 200,
  });
}, 60_000);

test('an operator cancel during a failing retry counts that attempt, and the next redelivery makes its own', async () => {
  const d = await deliveryTo(
    (i) => (i === 1 ? { status: 500, delayMs: 5_000 } : { status: i === 0 ? 500 : 200 }),
    [1, 3600],
  );
  await d.receiver.waitForRequests(2);
  await d.handle.cancel();
  expect(await deliveryIn(t.store, d.delivery._id, ['cancelled'])).toMatchObject({ attemptCount: 2 });
  const answer = await t.engine.redeliver(d.tenantId, d.delivery._id); // numbered after the record's count
  expect(answer).toMatchObject({ kind: 'delivered', attempt: 3 });
  expect(d.receiver.requests).toHaveLength(3);
}, 60_000);

test('the same Idempotency-Key while its attempt is in flight is told in_progress, never failed, then the same answer', async () => {
  const d = await deliveryTo((i) => (i === 0 ? { status: 500 } : { status: 200, delayMs: 2_500 }));
  await deliveryIn(t.store, d.delivery._id, ['retrying']);
  const key = uniqueId('key');
  const first = t.engine.redeliver(d.tenantId, d.delivery._id, key);
  await d.receiver.waitForRequests(2);
  await sleep(200);
  expect(await t.engine.redeliver(d.tenantId, d.delivery._id, key)).toMatchObject({ kind: 'in_progress', attempt: 2 });
  const answer = await first;
  expect(answer).toMatchObject({ kind: 'delivered', attempt: 2 });
  expect(await t.engine.redeliver(d.tenantId, d.delivery._id, key)).toEqual(answer);
  expect(d.receiver.requests).toHaveLength(2);
}, 60_000);

test('two requests with the same Idempotency-Key a few ms apart on a finished delivery reach the receiver once', async () => {
  let healthy = false;
  const d = await deliveryTo(() => ({ status: healthy ? 200 : 500 }), []);
  await deliveryIn(t.store, d.delivery._id, ['failed']);
  healthy = true;
  const key = uniqueId('key');
  const [a, b] = await Promise.all([
    t.engine.redeliver(d.tenantId, d.delivery._id, key),
    sleep(5).then(() => t.engine.redeliver(d.tenantId, d.delivery._id, key)),
  ]);
  expect(a).toMatchObject({ kind: 'delivered', attempt: 2 });
  expect(b).toEqual(a);
  await sleep(1_500);
  expect(d.receiver.requests).toHaveLength(2);
}, 60_000);

/** A delivery stored as dispatch leaves it (event with its body, record pending), with no workflow: for tries run directly. */
async function storedDelivery(receiverUrl: string) {
  const tenantId = uniqueId('tenant');
  const webhook = await t.addWebhook({ tenantId, url: receiverUrl, event: 'document.created' });
  const eventId = uniqueId('evt');
  const now = new Date();
  const eventKey = `${tenantId}:${eventId}`;
  await t.store.events.insert({
    _id: eventKey,
    tenantId,
    eventId,
    event: 'document.created',
    documentId: 'doc_1',
    occurredAt: now,
    status: 'dispatched',
    body: '{"event":"document.created"}',
    createdAt: now,
    updatedAt: now,
  });
  const deliveryId = uniqueId('dlv');
  await t.store.deliveries.ensure({
    _id: deliveryId,
    tenantId,
    webhookId: webhook._id,
    eventKey,
    eventId,
    event: 'document.created',
    workflowId: `delivery:${webhook._id}:${eventId}`,
    status: 'pending',
    attemptCount: 0,
    createdAt: now,
    // Seen as changed in the future: the reconciler (every 2 s here) starts a run for an open record it finds
    // unchanged, and that run's tries are another worker's; these tests run every try themselves.
    updatedAt: new Date(now.getTime() + 3_600_000),
  });
  return { deliveryId, webhookId: webhook._id, eventKey, event: 'document.created' as const, attempt: 1 };
}

/** One worker's attempt activities, over `store` (the test engine's unless given), its clock skewed by `skewMs`. */
const attemptWorker = (options: {
  skewMs?: number;
  store?: Store;
  sendTimeoutMs?: number;
  leaseMarginMs?: number;
  clockRefreshMs?: number;
}) =>
  createSendAttempt({
    store: options.store ?? t.store,
    sender: composeSender(t.config),
    sendTimeoutMs: options.sendTimeoutMs ?? t.config.DELIVERY_TIMEOUT_MS,
    leaseMarginMs: options.leaseMarginMs,
    secrets: t.secrets,
    logger: createLogger({ level: 'silent' }),
    retryPolicy: DEFAULT_RETRY_POLICY,
    defaultRetrySchedule: [3600],
    now: () => new Date(Date.now() + (options.skewMs ?? 0)),
    clockRefreshMs: options.clockRefreshMs,
  });

test('a permit’s POST leaves at its instant: nothing that waits on the store stands between the check and the request', async () => {
  // The 600-at-10/s test beside the whole suite once saw three arrivals within 1 ms: after their lateness
  // check, attempts read the store's clock (its once-a-minute refresh, a round trip to a busy store) and went
  // together when it answered. Here the store's clock answers in 1.5 s and is read afresh at every reading.
  const receiver = await startReceiver(() => ({ status: 200 }));
  const input = await storedDelivery(receiver.url);
  const slowClock: Store = {
    ...t.store,
    serverTime: async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      return t.store.serverTime();
    },
  };
  const notBefore = Date.now() + 6_000;
  const facts = await attemptWorker({ store: slowClock, clockRefreshMs: 0 }).sendAttempt({
    ...input,
    trigger: 'automatic',
    permit: { id: 'p1', notBefore, maxLateMs: 250 },
  });
  expect(facts).toMatchObject({ kind: 'sent', delivered: true });
  const arrivedAfterInstant = (receiver.requests[0]?.receivedAt ?? Infinity) - notBefore;
  expect(arrivedAfterInstant).toBeGreaterThanOrEqual(0);
  expect(arrivedAfterInstant).toBeLessThan(250);
}, 60_000);

test('leases are in the store’s time: a worker whose clock runs two minutes ahead waits for an attempt still being sent', async () => {
  const receiver = await startReceiver(() => ({ status: 200, delayMs: 3_000 }));
  const input = await storedDelivery(receiver.url);
  const sending = attemptWorker({}).sendAttempt({ ...input, trigger: 'automatic' });
  await receiver.waitForRequests(1);
  // A retry of the same attempt on a worker whose clock is 2 minutes fast (past the 30 s send + 45 s margin lease).
  await attemptWorker({ skewMs: 120_000 }).sendAttempt({ ...input, trigger: 'automatic' });
  await sending;
  expect(await t.store.deliveries.findAttempt(input.deliveryId, 1)).toMatchObject({
    state: 'done',
    delivered: true,
    statusCode: 200,
  });
  expect(receiver.requests).toHaveLength(1);
}, 60_000);

test('a try of this worker whose outcome write is starved past its lease is waited for, not closed as interrupted', async () => {
  // What the 1,200-webhook fan-out on SQLite met: a first attempt's outcome write failed with SQLITE_BUSY for
  // longer than its lease while a retry of the same attempt, in the same worker, waited on its claim. The retry
  // closed the attempt as interrupted and the workflow sent attempt 2: a duplicate the receiver accepted.
  const receiver = await startReceiver(() => ({ status: 200 }));
  const input = await storedDelivery(receiver.url);
  let starvedUntil = 0;
  const starved = new Proxy(t.store.deliveries, {
    get(target, property) {
      if (property === 'completeAttempt') {
        return async (...args: Parameters<typeof target.completeAttempt>) => {
          if (starvedUntil === 0) starvedUntil = Date.now() + 6_000;
          if (Date.now() < starvedUntil) throw new Error('database is locked (5) (SQLITE_BUSY)');
          return target.completeAttempt(...args);
        };
      }
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  // A lease of 1 s send + 1 s margin, so the 6 s of failed writes outlast it.
  const worker = attemptWorker({
    store: { ...t.store, deliveries: starved },
    sendTimeoutMs: 1_000,
    leaseMarginMs: 1_000,
  });
  const first = worker.sendAttempt({ ...input, trigger: 'automatic' });
  await receiver.waitForRequests(1);
  const retried = await worker.sendAttempt({ ...input, trigger: 'automatic' });
  expect(retried).toMatchObject({ kind: 'sent', delivered: true, statusCode: 200 });
  expect(await first).toMatchObject({ kind: 'sent', delivered: true, statusCode: 200 });
  expect(await t.store.deliveries.findAttempt(input.deliveryId, 1)).toMatchObject({ state: 'done', delivered: true });
  expect(receiver.requests).toHaveLength(1);
}, 60_000);

test('a slow claim write does not shorten the send: a receiver slower than the timeout is cut at the timeout', async () => {
  // Under load the claim's insert can take a few hundred ms; the send used to lose that from its timeout.
  const receiver = await startReceiver(() => ({ status: 200, delayMs: 3_000 }));
  const input = await storedDelivery(receiver.url);
  const slowClaims = new Proxy(t.store.deliveries, {
    get(target, property) {
      if (property === 'claimAttempt') {
        return async (...args: Parameters<typeof target.claimAttempt>) => {
          await sleep(400);
          return target.claimAttempt(...args);
        };
      }
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const facts = await attemptWorker({
    store: { ...t.store, deliveries: slowClaims },
    sendTimeoutMs: 1_000,
  }).sendAttempt({ ...input, trigger: 'automatic' });
  expect(facts).toMatchObject({ kind: 'sent', delivered: false, errorClass: 'timeout' });
  expect(facts.kind === 'sent' ? facts.durationMs : 0).toBeGreaterThanOrEqual(950);
}, 30_000);
