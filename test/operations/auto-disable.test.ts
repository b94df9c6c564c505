/**
 * Automatic disabling with a window of seconds (WEBHOOK_DISABLE_AFTER=10s, at least 4 failed deliveries):
 * the warnings at 50 % and 90 %, the disabling through the durable pause path with its reason shown by the
 * API, a success resetting the streak, no operational event about a webhook that recovered, and none about a
 * webhook subscribed to operational events (no loops). Every delivery is real, over HTTPS, signed.
 */
import { docfloSignature } from '../../src/delivery/signing';
import { createLogger } from '../../src/logger';
import { createAutoDisable } from '../../src/operations/auto-disable';
import { createOperationalPublisher } from '../../src/operations/operational-events';
import type { DeliveryRecord, EventRecord } from '../../src/store/model';
import { startTestApi, type TestApi } from '../helpers/api';
import { eventually, startTestEngine, uniqueId, type TestEngine } from '../helpers/engine';
import { startReceiver, type ReceivedRequest } from '../helpers/receiver';

const WINDOW_MS = 10_000;
const SIGNING_SECRET = 'ops-signing-secret-0123456789';

let t: TestEngine;
let api: TestApi;
beforeAll(async () => {
  t = await startTestEngine({
    retrySchedule: [1],
    env: { WEBHOOK_DISABLE_AFTER: '10s', WEBHOOK_DISABLE_MIN_FAILURES: '4' },
  });
  api = await startTestApi(t);
});
afterAll(async () => {
  await api.close();
  await t.dispose();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface WebhookView {
  id: string;
  status: string;
  disabledReason: { reason: string; at: string } | null;
  failing: { since: string; failedDeliveries: number; lastError: string; disableAt: string } | null;
}

test('a failing webhook is warned about at 50 % and 90 %, then disabled; one that recovered is not', async () => {
  const { tenantId, key } = await api.tenant();
  const documentId = String((await t.addDocument(tenantId))._id);
  const failingReceiver = await startReceiver(() => ({ status: 500 }));
  // Fails, succeeds, then fails twice: its streak restarts after the success.
  const flakyReceiver = await startReceiver((_req, i) => ({ status: i === 1 ? 200 : 500 }));
  const opsReceiver = await startReceiver(() => ({ status: 200 }));
  const create = async (body: Record<string, unknown>) => {
    const res = await api.call<WebhookView>('POST', '/v1/webhooks', { key, body });
    expect(res.status).toBe(201);
    return res.body.id;
  };
  const failing = await create({ url: failingReceiver.url, event: 'document.processed', retrySchedule: [] });
  const flaky = await create({ url: flakyReceiver.url, event: 'document.approved', retrySchedule: [] });
  await create({ url: `${opsReceiver.url}/failing`, event: 'webhook.failing', signingSecret: SIGNING_SECRET });
  await create({ url: `${opsReceiver.url}/disabled`, event: 'webhook.disabled', signingSecret: SIGNING_SECRET });

  const deliveries = t.db.collection<DeliveryRecord>('deliveries');
  const publishAndSettle = async (event: string, webhookId: string, status: 'failed' | 'succeeded') => {
    const eventId = uniqueId('evt');
    const res = await api.call('POST', '/v1/events', {
      key: api.platformKey,
      body: { eventId, tenantId, event, documentId },
    });
    expect(res.status).toBe(202);
    await eventually(
      async () => ((await deliveries.findOne({ webhookId, eventId }))?.status === status ? true : undefined),
      30_000,
      `${event} to end ${status}`,
    );
  };
  const webhook = async (id: string) => (await api.call<WebhookView>('GET', `/v1/webhooks/${id}`, { key })).body;

  // Step 0: both fail; the flaky one then succeeds, which ends its streak.
  await Promise.all([
    publishAndSettle('document.processed', failing, 'failed'),
    publishAndSettle('document.approved', flaky, 'failed'),
  ]);
  // The streak is counted just after the delivery's status is written (the outcome hook): wait for it.
  const streakOf = (id: string, failedDeliveries: number | null) =>
    eventually(async () => {
      const view = await webhook(id);
      return (view.failing?.failedDeliveries ?? null) === failedDeliveries ? view : undefined;
    });
  const failingView = await streakOf(failing, 1);
  const since = Date.parse(failingView.failing?.since ?? '');
  expect(failingView.failing).toMatchObject({ failedDeliveries: 1, lastError: 'HTTP 500' });
  expect(failingView.failing?.disableAt).toBe(new Date(since + WINDOW_MS).toISOString());
  await streakOf(flaky, 1);
  await publishAndSettle('document.approved', flaky, 'succeeded');
  expect((await streakOf(flaky, null)).failing).toBeNull();

  const untilElapsed = async (fraction: number) => sleep(Math.max(0, since + WINDOW_MS * fraction - Date.now()));
  // Step 1, past 50 %: the failing webhook is warned about; the flaky one starts a new streak (no warning).
  await untilElapsed(0.51);
  await Promise.all([
    publishAndSettle('document.processed', failing, 'failed'),
    publishAndSettle('document.approved', flaky, 'failed'),
  ]);
  const failingEvents = (): ReceivedRequest[] => opsReceiver.requests.filter((r) => r.path.endsWith('/failing'));
  await eventually(() => Promise.resolve(failingEvents().length >= 1 ? true : undefined), 30_000, 'the 50 % warning');
  // Step 2, past 90%: the second warning; the flaky webhook's new streak is still under half of the window.
  await untilElapsed(0.91);
  await Promise.all([
    publishAndSettle('document.processed', failing, 'failed'),
    publishAndSettle('document.approved', flaky, 'failed'),
  ]);
  await eventually(() => Promise.resolve(failingEvents().length >= 2 ? true : undefined), 30_000, 'the 90 % warning');
  expect((await webhook(failing)).status).toBe('active'); // 3 failures: fewer than 4, not disabled yet
  // Step 3, past the window with 4 failed deliveries in a row: disabled.
  await untilElapsed(1.01);
  await publishAndSettle('document.processed', failing, 'failed');
  const disabledEvents = (): ReceivedRequest[] => opsReceiver.requests.filter((r) => r.path.endsWith('/disabled'));
  await eventually(() => Promise.resolve(disabledEvents().length >= 1 ? true : undefined), 30_000, 'webhook.disabled');

  const disabled = await webhook(failing);
  expect(disabled.status).toBe('inactive');
  expect(disabled.disabledReason?.reason).toBe('auto: HTTP 500');
  expect(disabled.failing).toBeNull();
  // The same durable path as an operator's PATCH: a new status version, handed out.
  const record = await t.store.webhooks.findById(failing);
  expect(record?.statusVersion).toBe(1);
  await eventually(async () => ((await t.store.webhooks.handOffPending(failing)) === undefined ? true : undefined));

  // What the tenant's operational webhooks got: two warnings and one disabling, about the failing webhook
  // only, signed like document events.
  await sleep(1_000);
  const bodies = opsReceiver.requests.map((r) => {
    expect(r.headers['x-docflo-signature']).toBe(docfloSignature(r.rawBody, SIGNING_SECRET));
    expect(r.headers['x-docflo-event']).toBe(r.path.endsWith('/failing') ? 'webhook.failing' : 'webhook.disabled');
    expect(r.headers['webhook-signature']).toMatch(/^v1,/);
    return JSON.parse(r.rawBody) as Record<string, unknown>;
  });
  expect(bodies).toHaveLength(3);
  const failingUrl = new URL(failingReceiver.url).href;
  expect(bodies.filter((b) => b.event === 'webhook.failing')).toEqual([
    expect.objectContaining({
      tenantId,
      webhook: { id: failing, url: failingUrl, event: 'document.processed' },
      lastError: 'HTTP 500',
      failingSince: new Date(since).toISOString(),
      disableAt: new Date(since + WINDOW_MS).toISOString(),
      thresholdPercent: 50,
      failedDeliveries: 2,
    }),
    expect.objectContaining({ thresholdPercent: 90, failedDeliveries: 3 }),
  ]);
  expect(bodies.find((b) => b.event === 'webhook.disabled')).toMatchObject({
    tenantId,
    webhook: { id: failing },
    lastError: 'HTTP 500',
    disabledReason: 'auto: HTTP 500',
    failedDeliveries: 4,
  });
  expect(JSON.stringify(bodies)).not.toContain(flaky);
  // The flaky webhook: without its success it would have been warned twice (its first failure came with the
  // failing one's); its streak restarted after the success, and two failures since are under half the window.
  const flakyView = await webhook(flaky);
  expect(flakyView.status).toBe('active');
  expect(flakyView.failing?.failedDeliveries).toBe(2);
  expect(Date.parse(flakyView.failing?.since ?? '')).toBeGreaterThan(since + WINDOW_MS / 2);

  // Skipped while disabled; re-enabled by a PATCH (the reason goes), and the skipped event recovered.
  const skippedEventId = uniqueId('evt');
  await api.call('POST', '/v1/events', {
    key: api.platformKey,
    body: { eventId: skippedEventId, tenantId, event: 'document.processed', documentId },
  });
  await eventually(async () =>
    (await deliveries.findOne({ webhookId: failing, eventId: skippedEventId }))?.status === 'skipped'
      ? true
      : undefined,
  );
  const patched = await api.call<WebhookView>('PATCH', `/v1/webhooks/${failing}`, { key, body: { status: 'active' } });
  expect(patched.body).toMatchObject({ status: 'active', disabledReason: null, failing: null });
  const recovered = await api.call<{ queued: number }>('POST', `/v1/webhooks/${failing}/recover`, {
    key,
    body: { since: new Date(since - 60_000).toISOString() },
  });
  expect(recovered.status).toBe(202);
  expect(recovered.body.queued).toBeGreaterThanOrEqual(1);
}, 120_000);

/** Auto-disable called directly (not from a delivery's outcome): a 100 s window, 2 failures, its clock `now`. */
function directAutoDisable(now: () => Date) {
  return createAutoDisable({
    store: t.store,
    setWebhookStatus: t.engine.setWebhookStatus,
    publisher: createOperationalPublisher({ store: t.store, temporal: t.temporal, taskQueue: t.taskQueue }),
    windowSeconds: 100,
    minFailures: 2,
    logger: createLogger({ level: 'silent' }),
    now,
  });
}

test('no operational event is ever published about a webhook subscribed to operational events', async () => {
  const tenantId = uniqueId('tenant');
  const listener = await t.addWebhook({ tenantId, url: 'https://127.0.0.1:9/ops', event: 'webhook.failing' });
  await t.addWebhook({ tenantId, url: 'https://127.0.0.1:9/ops2', event: 'webhook.disabled' });
  const documentWebhook = await t.addWebhook({ tenantId, url: 'https://127.0.0.1:9/doc', event: 'document.created' });
  let now = new Date();
  const autoDisable = directAutoDisable(() => now);
  const events = t.db.collection<EventRecord>('events');
  const start = now.getTime();
  for (const at of [0, 60_000, 95_000, 101_000]) {
    now = new Date(start + at);
    await autoDisable.deliveryFailed(listener._id, 'HTTP 503');
    await autoDisable.deliveryFailed(documentWebhook._id, 'HTTP 502');
  }
  // Both were disabled after the window; the document webhook's warnings and disabling were published.
  for (const id of [listener._id, documentWebhook._id]) {
    const record = await t.store.webhooks.findById(id);
    expect(record?.status).toBe('inactive');
  }
  expect(await events.countDocuments({ tenantId, documentId: documentWebhook._id })).toBe(3);
  // The operational subscriber was tracked and disabled, but no event about it exists.
  expect(await events.countDocuments({ tenantId, documentId: listener._id })).toBe(0);
  expect((await t.store.webhooks.findById(listener._id))?.disabledReason?.reason).toBe('auto: HTTP 503');
});

test('a disabling claimed by a worker that stopped before writing the status is finished by the next failure, unless the status changed since', async () => {
  const tenantId = uniqueId('tenant');
  const stopped = await t.addWebhook({ tenantId, url: 'https://127.0.0.1:9/a', event: 'document.created' });
  const overtaken = await t.addWebhook({ tenantId, url: 'https://127.0.0.1:9/b', event: 'document.created' });
  const now = new Date();
  const autoDisable = directAutoDisable(() => now);
  for (const w of [stopped, overtaken]) {
    const state = await t.store.endpointStates.recordFailure(w, 'HTTP 500', new Date(now.getTime() - 200_000));
    const streak = state?.failureStreak ?? { since: now, statusVersion: 0 };
    // The claim, and then nothing: the worker stopped before its status write.
    const claimed = await t.store.endpointStates.claimAutoDisable(w._id, streak, {
      reason: 'auto: HTTP 500',
      at: now,
      statusVersion: 0,
    });
    expect(claimed).toBe(true);
  }
  // The operator paused and resumed the second one meanwhile: their word comes after the claim.
  await t.engine.setWebhookStatus(tenantId, overtaken._id, 'inactive');
  await t.engine.setWebhookStatus(tenantId, overtaken._id, 'active');

  await autoDisable.deliveryFailed(stopped._id, 'HTTP 500');
  await autoDisable.deliveryFailed(overtaken._id, 'HTTP 500');
  const [a, b] = await Promise.all([stopped, overtaken].map((w) => t.store.webhooks.findById(w._id)));
  expect(a).toMatchObject({ status: 'inactive', statusVersion: 1, disabledReason: { reason: 'auto: HTTP 500' } });
  expect(b).toMatchObject({ status: 'active', statusVersion: 2 });
  expect(b?.disabledReason).toBeUndefined();
  for (const w of [stopped, overtaken]) expect((await t.store.endpointStates.find(w._id)).disabling).toBeUndefined();
});

test("an operator's pause and resume between a failure's count and its disabling stands: nothing is disabled", async () => {
  const tenantId = uniqueId('tenant');
  const w = await t.addWebhook({ tenantId, url: 'https://127.0.0.1:9/c', event: 'document.created' });
  const old = new Date(Date.now() - 200_000);
  await t.store.endpointStates.recordFailure(w, 'HTTP 500', old);
  const judged = await t.store.endpointStates.recordFailure(w, 'HTTP 500', new Date());
  // The operator pauses and resumes: that streak is over, though nothing was written to it.
  await t.engine.setWebhookStatus(tenantId, w._id, 'inactive');
  await t.engine.setWebhookStatus(tenantId, w._id, 'active');
  // The worker that judged the streak at version 0 claims it (the claim cannot see the webhook's version)...
  const streak = judged?.failureStreak ?? { since: old, statusVersion: 0 };
  const disabling = { reason: 'auto: HTTP 500', at: new Date(), statusVersion: 0 };
  expect(await t.store.endpointStates.claimAutoDisable(w._id, streak, disabling)).toBe(true);
  // ...but its status write, judged at version 0, changes nothing.
  const { webhook } = await t.engine.setWebhookStatus(tenantId, w._id, 'inactive', {
    disabledReason: { reason: 'auto: HTTP 500', at: new Date() },
    atVersion: 0,
  });
  expect(webhook).toMatchObject({ status: 'active', statusVersion: 2 });
  expect(webhook.disabledReason).toBeUndefined();
});
