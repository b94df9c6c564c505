/**
 * GET /metrics on the worker and on the API, scraped over real HTTP after a run with known outcomes: the
 * counters equal what the store recorded, the backlog gauge follows the store, and no label carries a tenant,
 * webhook, delivery or URL.
 */
import { composeWorkerActivities } from '../../src/composition';
import { attemptResultClass } from '../../src/metrics/metrics';
import { createLogger } from '../../src/logger';
import type { AttemptRecord, DeliveryRecord, DeliveryStatus, PlatformEvent } from '../../src/store/model';
import { startTestApi, type TestApi } from '../helpers/api';
import { eventually, startTestEngine, uniqueId, type TestEngine } from '../helpers/engine';
import { scrape } from '../helpers/prometheus';
import { startReceiver } from '../helpers/receiver';

let t: TestEngine;
let api: TestApi;
beforeAll(async () => {
  t = await startTestEngine({
    retrySchedule: [1],
    env: { METRICS_PORT: '0', METRICS_REFRESH_INTERVAL: '1s' },
  });
  api = await startTestApi(t);
});
afterAll(async () => {
  await api.close();
  await t.dispose();
});

async function publish(tenantId: string, event: string, documentId: string) {
  const eventId = uniqueId('evt');
  const res = await api.call('POST', '/v1/events', {
    key: api.platformKey,
    body: { eventId, tenantId, event, documentId },
  });
  expect(res.status).toBe(202);
  return eventId;
}

test('after a run with known outcomes, the scraped counters equal the store', async () => {
  const workerUrl = t.workerMetricsUrl;
  if (!workerUrl) throw new Error('the worker serves no /metrics although METRICS_PORT is set');
  const ok = await startReceiver(() => ({ status: 200 }));
  const broken = await startReceiver(() => ({ status: 500 }));
  const unavailable = await startReceiver(() => ({ status: 503 }));
  const { tenantId, key } = await api.tenant();
  const doc = await t.addDocument(tenantId);
  const documentId = String(doc._id);
  const create = async (url: string, event: string, retrySchedule?: number[]) => {
    const res = await api.call<{ id: string }>('POST', '/v1/webhooks', { key, body: { url, event, retrySchedule } });
    expect(res.status).toBe(201);
    return res.body.id;
  };
  const okId = await create(ok.url, 'document.processed');
  const brokenId = await create(broken.url, 'document.processed', []);
  // Fails, then waits a minute to retry: it stays `retrying` until the test cancels it.
  const retryingId = await create(unavailable.url, 'document.approved', [60]);

  await publish(tenantId, 'document.processed', documentId);
  await publish(tenantId, 'document.processed', documentId);
  await publish(tenantId, 'document.approved', documentId);
  // Rejected: a missing document, an invalid body, no key.
  expect(
    (
      await api.call('POST', '/v1/events', {
        key: api.platformKey,
        body: { eventId: uniqueId('evt'), tenantId, event: 'document.processed', documentId: 'nope' },
      })
    ).status,
  ).toBe(404);
  expect(
    (
      await api.call('POST', '/v1/events', {
        key: api.platformKey,
        body: { eventId: uniqueId('evt'), tenantId, event: 'webhook.failing', documentId },
      })
    ).status,
  ).toBe(400);
  expect((await api.call('POST', '/v1/events', { body: { eventId: 'x', tenantId, event: 'x' } })).status).toBe(401);

  const deliveries = t.db.collection<DeliveryRecord>('deliveries');
  const count = (webhookId: string, status: DeliveryStatus) => deliveries.countDocuments({ webhookId, status });
  await eventually(
    async () =>
      (await count(okId, 'succeeded')) === 2 &&
      (await count(brokenId, 'failed')) === 2 &&
      (await count(retryingId, 'retrying')) === 1
        ? true
        : undefined,
    60_000,
    'two successes, two failures and one delivery retrying',
  );

  // The backlog gauge is re-counted from the store every second, not per scrape.
  await eventually(
    async () => {
      const s = await scrape(workerUrl);
      return s.value('docflo_deliveries_open', { status: 'retrying' }) === 1 ? true : undefined;
    },
    15_000,
    'the retrying gauge to show the delivery',
  );

  const [retrying] = await deliveries.find({ webhookId: retryingId }).toArray();
  await t.temporal.workflow.getHandle(retrying?.workflowId ?? '').cancel();
  await eventually(async () => ((await count(retryingId, 'cancelled')) === 1 ? true : undefined), 30_000, 'cancelled');
  await eventually(
    async () => {
      const s = await scrape(workerUrl);
      return s.value('docflo_deliveries_open', { status: 'retrying' }) === 0 ? true : undefined;
    },
    15_000,
    'the retrying gauge to drop',
  );

  const worker = await scrape(workerUrl);
  // Deliveries finished, by outcome and event type: exactly the store's final states.
  for (const outcome of ['succeeded', 'failed', 'cancelled'] as DeliveryStatus[]) {
    for (const event of ['document.processed', 'document.approved'] as PlatformEvent[]) {
      expect({
        outcome,
        event,
        scraped: worker.value('docflo_deliveries_finished_total', { outcome, event_type: event }),
      }).toEqual({
        outcome,
        event,
        scraped: await deliveries.countDocuments({ tenantId, status: outcome, event }),
      });
    }
  }
  expect(worker.value('docflo_deliveries_finished_total', { outcome: 'succeeded' })).toBe(2);
  expect(worker.value('docflo_deliveries_finished_total', { outcome: 'failed' })).toBe(2);
  expect(worker.value('docflo_deliveries_finished_total', { outcome: 'cancelled' })).toBe(1);

  // Attempts by result class: exactly the store's attempt records, classified the same way.
  const attempts = await t.db.collection<AttemptRecord>('delivery_attempts').find({ tenantId }).toArray();
  const expected: Record<string, number> = {};
  for (const a of attempts) expected[attemptResultClass(a)] = (expected[attemptResultClass(a)] ?? 0) + 1;
  expect(expected).toEqual({ '2xx': 2, '5xx': 3 });
  for (const [resultClass, n] of Object.entries(expected)) {
    expect(worker.value('docflo_delivery_attempts_total', { result_class: resultClass })).toBe(n);
    expect(worker.value('docflo_delivery_attempt_duration_seconds_count', { result_class: resultClass })).toBe(n);
  }
  expect(worker.value('docflo_publish_to_first_delivery_seconds_count', { event_type: 'document.processed' })).toBe(2);
  expect(
    worker.value('docflo_publish_to_first_delivery_seconds_bucket', { event_type: 'document.processed', le: '+Inf' }),
  ).toBe(2);
  expect(worker.value('docflo_deliveries_open', { status: 'paused' })).toBe(0);

  // The API: events accepted by type, rejected by reason, request durations by route pattern and status.
  const apiScrape = await scrape(`${api.url}/metrics`);
  expect(apiScrape.value('docflo_api_events_accepted_total', { event_type: 'document.processed' })).toBe(2);
  expect(apiScrape.value('docflo_api_events_accepted_total', { event_type: 'document.approved' })).toBe(1);
  expect(apiScrape.value('docflo_api_events_rejected_total', { reason: 'document_not_found' })).toBe(1);
  expect(apiScrape.value('docflo_api_events_rejected_total', { reason: 'validation_failed' })).toBe(1);
  expect(apiScrape.value('docflo_api_events_rejected_total', { reason: 'unauthorized' })).toBe(1);
  expect(
    apiScrape.value('docflo_api_request_duration_seconds_count', {
      method: 'POST',
      route: '/v1/events',
      status: '202',
    }),
  ).toBe(3);
  expect(
    apiScrape.value('docflo_api_request_duration_seconds_count', {
      method: 'POST',
      route: '/v1/webhooks',
      status: '201',
    }),
  ).toBe(3);

  // Nothing unbounded in a label: no tenant, webhook, delivery, event or URL.
  for (const text of [worker.text, apiScrape.text]) {
    for (const forbidden of [tenantId, okId, brokenId, retryingId, documentId, '127.0.0.1', retrying?._id ?? 'dlv_']) {
      expect(text).not.toContain(forbidden);
    }
  }
}, 120_000);

test('a retried recordDeliveryState counts its delivery once', async () => {
  const { activities, metrics } = composeWorkerActivities(t.config, {
    store: t.store,
    temporal: t.temporal,
    logger: createLogger({ level: 'silent' }),
  });
  const tenantId = uniqueId('tenant');
  const webhook = await t.addWebhook({ tenantId, url: 'https://127.0.0.1:9/x', event: 'document.rejected' });
  const now = new Date();
  const deliveryId = uniqueId('dlv');
  await t.store.deliveries.ensure({
    _id: deliveryId,
    tenantId,
    webhookId: webhook._id,
    eventKey: `${tenantId}:e1`,
    eventId: 'e1',
    event: 'document.rejected',
    workflowId: `delivery:${webhook._id}:e1`,
    status: 'pending',
    attemptCount: 0,
    createdAt: now,
    updatedAt: now,
  });
  // As a retried local activity repeats it: the same input twice, no previousStatus (unknown).
  const input = {
    deliveryId,
    attempt: 1,
    status: 'failed' as const,
    lastError: 'HTTP 500',
    nextAttemptAt: null,
    webhookId: webhook._id,
    event: 'document.rejected' as const,
    eventKey: `${tenantId}:e1`,
  };
  expect(await activities.recordDeliveryState(input)).toBe(true);
  expect(await activities.recordDeliveryState(input)).toBe(true);
  const text = await metrics.registry.metrics();
  expect(text).toContain('docflo_deliveries_finished_total{outcome="failed",event_type="document.rejected"} 1\n');
  expect((await t.store.endpointStates.find(webhook._id))?.failureStreak?.count).toBe(1);
});
