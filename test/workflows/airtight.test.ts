/**
 * Delivery control that cannot strand a delivery or send it twice, each race forced on the real servers:
 * a resume that lands while an attempt reads the webhook as inactive (the worker's store answers held), status
 * signals arriving out of order, a lost resume caught by the pause re-check, a store that hangs while an
 * attempt is recorded, retry-now during an attempt, and a retried redelivery request.
 */
import { startTestApi, type TestApi } from '../helpers/api';
import { eventually, startTestEngine, type TestEngine } from '../helpers/engine';
import { publishedDelivery } from '../helpers/published-delivery';
import type { Reply } from '../helpers/receiver';
import { hostPort, startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { testEnv } from '../helpers/test-env';
import type { DeliveryRecord, DeliveryStatus } from '../../src/store/model';
import { deliveryStateQuery, webhookStatusSignal } from '../../src/workflows/messages';

let proxy: TcpProxy;
let t: TestEngine;
let api: TestApi;
beforeAll(async () => {
  // The worker reaches the store through a proxy the tests can hold; the tests' own reads go direct.
  proxy = await startTcpProxy(hostPort(testEnv().mongoUri));
  t = await startTestEngine({
    retrySchedule: [2, 2, 2],
    workerMongoUri: `mongodb://${proxy.address}/?directConnection=true`,
    env: { DELIVERY_PAUSE_RECHECK: '3s' },
  });
  api = await startTestApi(t);
});
afterAll(async () => {
  proxy.release();
  await api.close();
  await t.dispose();
  await proxy.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function deliveryIn(id: string, statuses: DeliveryStatus[], timeoutMs = 30_000): Promise<DeliveryRecord> {
  return eventually(
    async () => {
      const d = await t.store.deliveries.findById(id);
      return d && statuses.includes(d.status) ? d : undefined;
    },
    timeoutMs,
    `delivery ${id} to be ${statuses.join('/')}`,
  );
}

/** A webhook whose receiver answers as `reply` says, one event published to it, and its delivery. */
const deliveryTo = (reply: (index: number) => Reply, retrySchedule?: number[]) =>
  publishedDelivery(t, reply, { retrySchedule });

async function pendingSendAttempt(workflowId: string): Promise<void> {
  await eventually(
    async () => {
      const described = await t.temporal.workflow.getHandle(workflowId).describe();
      const pending = described.raw.pendingActivities ?? [];
      return pending.some((a) => a.activityType?.name === 'sendAttempt') ? true : undefined;
    },
    15_000,
    'an attempt to start',
  );
}

test('a resume that lands while an attempt reads the webhook as inactive is not lost', async () => {
  let healthy = false;
  const { receiver, tenantId, webhook, delivery, handle } = await deliveryTo(() => ({ status: healthy ? 200 : 503 }));
  await deliveryIn(delivery._id, ['retrying']);
  // The operator sets the webhook inactive (version 1); its signal has not reached the delivery.
  const paused = await t.store.webhooks.setStatus(tenantId, webhook._id, 'inactive', new Date());
  expect(paused?.statusVersion).toBe(1);
  // The next attempt reads "inactive, version 1" from the store, and that answer is held on its way back...
  proxy.holdAnswers();
  try {
    await pendingSendAttempt(delivery.workflowId);
    await sleep(500);
    // ...while the operator re-activates it (version 2) and the resume reaches the delivery first.
    await t.store.webhooks.setStatus(tenantId, webhook._id, 'active', new Date());
    healthy = true;
    await handle.signal(webhookStatusSignal, { status: 'active', version: 2 });
    await eventually(async () => ((await handle.query(deliveryStateQuery)).webhook?.version === 2 ? true : undefined));
  } finally {
    proxy.release();
  }
  // The stale "inactive, version 1" result is ignored: delivered in seconds, long before any re-check.
  const done = await deliveryIn(delivery._id, ['succeeded'], 10_000);
  expect(done.attemptCount).toBe(2);
  expect(receiver.requests.map((r) => r.headers['x-docflo-attempt'])).toEqual(['1', '2']);
});

test('pause, resume, pause arriving in reverse order ends paused; the API’s quick toggles too', async () => {
  let healthy = false;
  const { receiver, tenantId, webhook, delivery, handle } = await deliveryTo(() => ({ status: healthy ? 200 : 503 }));
  await deliveryIn(delivery._id, ['retrying']);
  for (let i = 0; i < 3; i++) {
    await t.store.webhooks.setStatus(tenantId, webhook._id, i % 2 === 0 ? 'inactive' : 'active', new Date());
  }
  // Version 3 (inactive) arrives first, then the older 2 (active) and 1 (inactive).
  await handle.signal(webhookStatusSignal, { status: 'inactive', version: 3 });
  await handle.signal(webhookStatusSignal, { status: 'active', version: 2 });
  await handle.signal(webhookStatusSignal, { status: 'inactive', version: 1 });
  healthy = true;
  await deliveryIn(delivery._id, ['paused']);
  await sleep(4_500); // past the backoff and a re-check: a paused delivery makes no attempt
  expect(receiver.requests).toHaveLength(1);
  expect(await handle.query(deliveryStateQuery)).toMatchObject({
    status: 'paused',
    paused: true,
    webhook: { status: 'inactive', version: 3 },
  });

  // Through the API: active, inactive, active, inactive in quick succession, each handed to the control
  // workflow; the last one wins. An attempt may slip into an active moment (it fails: the receiver is made
  // unhealthy for it); after the last pause none is made.
  healthy = false;
  const { key } = await tenantKey(tenantId);
  const statuses = ['active', 'inactive', 'active', 'inactive'] as const;
  const answers = [];
  for (const status of statuses) {
    answers.push(
      await api.call<{ statusVersion: number }>('PATCH', `/v1/webhooks/${webhook._id}`, { key, body: { status } }),
    );
  }
  expect(answers.map((a) => a.body.statusVersion)).toEqual([4, 5, 6, 7]);
  await eventually(
    async () => ((await handle.query(deliveryStateQuery)).webhook?.version === 7 ? true : undefined),
    60_000,
    'the delivery to hold version 7',
  );
  expect(await handle.query(deliveryStateQuery)).toMatchObject({ paused: true });
  await deliveryIn(delivery._id, ['paused']);
  const shown = await api.call<{ pausedDeliveries: number }>('GET', `/v1/webhooks/${webhook._id}`, { key });
  expect(shown.body.pausedDeliveries).toBe(1);
  const before = receiver.requests.length;
  healthy = true;
  await sleep(4_500); // past any backoff and a re-check: paused, no attempt
  expect(receiver.requests).toHaveLength(before);

  const resumed = await api.call<{ statusVersion: number; handedToDeliveries: number }>(
    'PATCH',
    `/v1/webhooks/${webhook._id}`,
    { key, body: { status: 'active' } },
  );
  expect(resumed.body).toMatchObject({ statusVersion: 8, handedToDeliveries: 1 });
  await deliveryIn(delivery._id, ['succeeded']);
  expect(receiver.requests).toHaveLength(before + 1);
});

test('a paused delivery whose resume was lost re-reads its webhook and resumes within DELIVERY_PAUSE_RECHECK', async () => {
  let healthy = false;
  const { tenantId, webhook, delivery } = await deliveryTo(() => ({ status: healthy ? 200 : 503 }));
  await deliveryIn(delivery._id, ['retrying']);
  await t.engine.setWebhookStatus(tenantId, webhook._id, 'inactive');
  await deliveryIn(delivery._id, ['paused']);
  healthy = true;
  // Activated with no signal at all (as if every hand-off were lost): only the re-check (3 s here) can see it.
  await t.store.webhooks.setStatus(tenantId, webhook._id, 'active', new Date());
  const started = Date.now();
  await deliveryIn(delivery._id, ['succeeded'], 15_000);
  expect(Date.now() - started).toBeLessThan(10_000);
});

test('a store that hangs while an attempt is recorded: one POST, recorded once, and the right status', async () => {
  let hung = false;
  const { receiver, delivery } = await deliveryTo(() => {
    // The receiver got the POST: from now on the worker's store answers nothing until released.
    if (!hung) {
      hung = true;
      proxy.hang();
      setTimeout(() => proxy.release(), 12_000).unref();
    }
    return { status: 200 };
  });
  try {
    const done = await deliveryIn(delivery._id, ['succeeded'], 45_000);
    expect(done.attemptCount).toBe(1);
  } finally {
    proxy.release();
  }
  expect(receiver.requests).toHaveLength(1);
  const attempts = await t.store.deliveries.listAttempts(delivery._id);
  expect(attempts.map((a) => [a.attempt, a.state, a.delivered])).toEqual([[1, 'done', true]]);
});

test('retry-now during an attempt is dropped (the backoff is not cut); during a backoff it cuts it', async () => {
  // Attempt 2 (a regular activity, the first one runs inside a workflow task) is answered slowly.
  const replies: Reply[] = [{ status: 503 }, { status: 503, delayMs: 1_500 }, { status: 503 }, { status: 200 }];
  const { receiver, tenantId, delivery } = await deliveryTo((index) => replies[index] ?? { status: 200 }, [3, 3, 3]);
  await receiver.waitForRequests(2, 15_000);
  expect(await t.engine.retryNow(tenantId, delivery._id)).toBe(true); // signalled while attempt 2 is in flight
  await receiver.waitForRequests(3, 15_000);
  const [, second, third] = receiver.requests;
  // Attempt 2 was answered 1.5 s after it arrived; a dropped retry-now leaves the 3-second backoff whole.
  expect((third?.receivedAt ?? 0) - ((second?.receivedAt ?? 0) + 1_500)).toBeGreaterThanOrEqual(2_800);
  // Attempt 3 recorded and its 3-second backoff running: now retry-now cuts it.
  await eventually(async () => {
    const d = await t.store.deliveries.findById(delivery._id);
    return d?.status === 'retrying' && d.attemptCount === 3 ? d : undefined;
  });
  const cutAt = Date.now();
  expect(await t.engine.retryNow(tenantId, delivery._id)).toBe(true);
  await receiver.waitForRequests(4, 15_000);
  expect((receiver.requests[3]?.receivedAt ?? 0) - cutAt).toBeLessThan(2_500); // the backoff was 3 s or more
  await deliveryIn(delivery._id, ['succeeded']);
});

test('a retried redelivery request makes one attempt, running or finished', async () => {
  let answer = 503;
  const { receiver, tenantId, delivery } = await deliveryTo(() => ({ status: answer, delayMs: 300 }), [3600]);
  await deliveryIn(delivery._id, ['retrying']);
  const { key } = await tenantKey(tenantId);
  const redeliver = (idempotencyKey: string) =>
    api.call<{ attempt: number; delivered: boolean }>('POST', `/v1/deliveries/${delivery._id}/redeliver`, {
      key,
      headers: { 'idempotency-key': idempotencyKey },
    });
  // Running (in a one-hour backoff): the same request twice at once, and once more after it answered.
  const [a, b] = await Promise.all([redeliver('req-1'), redeliver('req-1')]);
  const c = await redeliver('req-1');
  expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
  expect([a.body.attempt, b.body.attempt, c.body.attempt]).toEqual([2, 2, 2]);
  expect(receiver.requests).toHaveLength(2);

  // Finished: delivered by a new request, then that request retried.
  answer = 200;
  const d = await redeliver('req-2');
  expect(d.body).toMatchObject({ attempt: 3, delivered: true });
  await deliveryIn(delivery._id, ['succeeded']);
  const [e, f] = await Promise.all([redeliver('req-2'), redeliver('req-2')]);
  expect([e.body.attempt, f.body.attempt]).toEqual([3, 3]);
  expect(receiver.requests).toHaveLength(3);
  const attempts = await t.store.deliveries.listAttempts(delivery._id);
  expect(attempts.map((x) => [x.attempt, x.trigger])).toEqual([
    [1, 'automatic'],
    [2, 'manual'],
    [3, 'manual'],
  ]);
});

/** A key for an existing tenant (created by the test engine, not the API). */
async function tenantKey(tenantId: string): Promise<{ key: string }> {
  const { key } = await t.store.tenants.issueKey(tenantId, new Date());
  return { key };
}

test('an operator cancel during the first (local) attempt: the POST it began is delivered and recorded succeeded, and nothing is recorded over it', async () => {
  const { receiver, delivery, handle } = await deliveryTo(() => ({ status: 200, delayMs: 3_000 }));
  await receiver.waitForRequests(1, 15_000);
  await handle.cancel();
  await expect(handle.result()).rejects.toThrow();
  expect((await handle.describe()).status.name).toBe('CANCELLED');
  const record = await t.store.deliveries.findById(delivery._id);
  expect(record).toMatchObject({ status: 'succeeded', attemptCount: 1 });
  expect((await handle.describe()).searchAttributes.DeliveryStatus).toEqual(['succeeded']);
  expect(receiver.requests).toHaveLength(1);
  await receiver.close();
});
