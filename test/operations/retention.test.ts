/**
 * Retention (issue 18): the purge deletes finished deliveries older than their tenant's retention with their
 * attempts, then events with no delivery left, then attempts whose delivery is gone; open and paused deliveries
 * stay however old, a tenant's own retention holds its records longer, and a redelivered delivery is not
 * purged under it. A retention day lasts one second here (RETENTION_DAY=1s), the retention is 4 days.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startTestApi, type TestApi } from '../helpers/api';
import { deliveryIn, eventually, startTestEngine, uniqueId, type TestEngine } from '../helpers/engine';
import { scrape } from '../helpers/prometheus';
import { startReceiver } from '../helpers/receiver';
import type { DeliveryRecord, PlatformEvent } from '../../src/store/model';
import type { purgeWorkflow } from '../../src/workflows';
import type { PurgeWorkflowInput, PurgeWorkflowResult } from '../../src/workflows/contracts';

let t: TestEngine;
let api: TestApi;
beforeAll(async () => {
  t = await startTestEngine({
    retrySchedule: [3600],
    env: { RETENTION_DAYS: '4', RETENTION_DAY: '1s', PURGE_INTERVAL: '0', METRICS_PORT: '0' },
  });
  api = await startTestApi(t);
});
afterAll(async () => {
  await api.close();
  await t.dispose();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RETENTION_MS = 4_000;

/** One purge run, as the schedule starts it (small pages, so paging is exercised). */
async function purge(input: PurgeWorkflowInput = { batch: 2, pauseMs: 10 }): Promise<PurgeWorkflowResult> {
  return t.temporal.workflow.execute<typeof purgeWorkflow>('purgeWorkflow', {
    taskQueue: t.taskQueue,
    workflowId: uniqueId('purge'),
    args: [input],
  });
}

/** A webhook for `event` answering `status`, one event published to it, and its delivery once in `until`. */
async function deliveryOf(
  key: string,
  tenantId: string,
  event: PlatformEvent,
  status: number,
  retrySchedule: number[],
  until: DeliveryRecord['status'][],
) {
  const receiver = await startReceiver(() => ({ status }));
  const created = await api.call<{ id: string }>('POST', '/v1/webhooks', {
    key,
    body: { url: receiver.url, event, retrySchedule },
  });
  expect(created.status).toBe(201);
  const doc = await t.addDocument(tenantId);
  const eventId = uniqueId('evt');
  const published = await api.call('POST', '/v1/events', {
    key: api.platformKey,
    body: { tenantId, event, eventId, documentId: String(doc._id) },
  });
  expect(published.status).toBe(202);
  const delivery = await eventually(async () => (await t.store.deliveries.listForEvent(`${tenantId}:${eventId}`))[0]);
  await deliveryIn(t.store, delivery._id, until);
  return { webhookId: created.body.id, eventKey: `${tenantId}:${eventId}`, deliveryId: delivery._id, receiver };
}

async function kept(d: { deliveryId: string; eventKey: string }) {
  return {
    delivery: (await t.store.deliveries.findById(d.deliveryId)) !== null,
    attempts: (await t.store.deliveries.listAttempts(d.deliveryId)).length,
    event: (await t.store.events.findByKey(d.eventKey)) !== null,
  };
}

test('finished deliveries past the retention go with their attempts and events; open and paused ones stay', async () => {
  const { tenantId, key } = await api.tenant();
  const succeeded = await deliveryOf(key, tenantId, 'document.created', 200, [], ['succeeded']);
  const failed = await deliveryOf(key, tenantId, 'document.processed', 500, [], ['failed']);
  const retrying = await deliveryOf(key, tenantId, 'document.approved', 500, [3600], ['retrying']);
  const paused = await deliveryOf(key, tenantId, 'document.rejected', 500, [3600], ['retrying']);
  expect(
    (await api.call('PATCH', `/v1/webhooks/${paused.webhookId}`, { key, body: { status: 'inactive' } })).status,
  ).toBe(200);
  await deliveryIn(t.store, paused.deliveryId, ['paused']);
  await sleep(RETENTION_MS + 500);
  // Finished just now (another tenant, on the same default retention): younger than the retention, it stays.
  const other = await api.tenant();
  const young = await deliveryOf(other.key, other.tenantId, 'document.created', 200, [], ['succeeded']);

  const result = await purge();
  expect(result.purged).toEqual({ deliveries: 2, events: 2, attempts: 2 });
  expect(result.complete).toBe(true);
  expect(await kept(succeeded)).toEqual({ delivery: false, attempts: 0, event: false });
  expect(await kept(failed)).toEqual({ delivery: false, attempts: 0, event: false });
  expect(await kept(retrying)).toEqual({ delivery: true, attempts: 1, event: true });
  expect(await kept(paused)).toEqual({ delivery: true, attempts: 1, event: true });
  expect(await kept(young)).toEqual({ delivery: true, attempts: 1, event: true });
  // The API answers 404 for what is gone, as for what never was.
  const gone = await api.call('GET', `/v1/deliveries/${succeeded.deliveryId}`, { key });
  expect(gone.status).toBe(404);

  // The worker's metrics count what went, and show how old the oldest record is.
  const metrics = await scrape(t.workerMetricsUrl ?? '');
  expect(metrics.value('docflo_purged_records_total', { collection: 'deliveries' })).toBeGreaterThanOrEqual(2);
  expect(metrics.value('docflo_retention_oldest_record_age_seconds', { collection: 'deliveries' })).toBeGreaterThan(
    RETENTION_MS / 1000,
  );
  expect(metrics.value('docflo_retention_seconds', {})).toBe(RETENTION_MS / 1000);
  for (const r of [succeeded, failed, retrying, paused, young]) await r.receiver.close();
}, 90_000);

test("a tenant's own retention holds its records longer, and a redelivered delivery is not purged under it", async () => {
  const keeper = await api.tenant();
  const other = await api.tenant();
  const patched = await api.call<{ retentionDays: number }>('PATCH', `/v1/tenants/${keeper.tenantId}`, {
    key: api.adminKey,
    body: { retentionDays: 400 },
  });
  expect(patched.status).toBe(200);
  expect(patched.body.retentionDays).toBe(400);
  for (const bad of [0, 401, 1.5, '30']) {
    const res = await api.call('PATCH', `/v1/tenants/${keeper.tenantId}`, {
      key: api.adminKey,
      body: { retentionDays: bad },
    });
    expect({ bad, status: res.status, field: res.text.includes('body.retentionDays') }).toEqual({
      bad,
      status: 400,
      field: true,
    });
  }
  expect((await api.call('PATCH', `/v1/tenants/${keeper.tenantId}`, { key: keeper.key, body: {} })).status).toBe(403);

  const held = await deliveryOf(keeper.key, keeper.tenantId, 'document.created', 200, [], ['succeeded']);
  const redelivered = await deliveryOf(other.key, other.tenantId, 'document.created', 200, [], ['succeeded']);
  await sleep(RETENTION_MS + 500);
  const again = await api.call('POST', `/v1/deliveries/${redelivered.deliveryId}/redeliver`, { key: other.key });
  expect(again.status).toBe(200);
  await purge();
  expect(await kept(held)).toEqual({ delivery: true, attempts: 1, event: true });
  expect(await kept(redelivered)).toEqual({ delivery: true, attempts: 2, event: true });

  // Its retention set back to the default (null), the keeper's delivery goes on the next purge.
  const reset = await api.call('PATCH', `/v1/tenants/${keeper.tenantId}`, {
    key: api.adminKey,
    body: { retentionDays: null },
  });
  expect(reset.status).toBe(200);
  await purge();
  expect(await kept(held)).toEqual({ delivery: false, attempts: 0, event: false });
  await held.receiver.close();
  await redelivered.receiver.close();
}, 90_000);

test('attempts left behind by a purge stopped between its two deletes are swept by the next one', async () => {
  const { tenantId, key } = await api.tenant();
  const d = await deliveryOf(key, tenantId, 'document.created', 200, [], ['succeeded']);
  await sleep(RETENTION_MS + 500);
  // As a purge that deleted the delivery and stopped before its attempts would leave it.
  await t.db.collection('deliveries').deleteOne({ _id: d.deliveryId } as object);
  expect(await kept(d)).toEqual({ delivery: false, attempts: 1, event: true });
  const result = await purge();
  expect(result.purged).toMatchObject({ events: 1, attempts: 1 });
  expect(await kept(d)).toEqual({ delivery: false, attempts: 0, event: false });
  await d.receiver.close();
}, 60_000);

test('a run stops at maxPages and says it is not complete; the next run goes on', async () => {
  const { tenantId, key } = await api.tenant();
  const made = [];
  for (const event of ['document.created', 'document.processed', 'document.approved'] as const) {
    made.push(await deliveryOf(key, tenantId, event, 200, [], ['succeeded']));
  }
  await sleep(RETENTION_MS + 500);
  const cut = await purge({ batch: 1, pauseMs: 0, maxPages: 2 });
  expect({ complete: cut.complete, pages: cut.pages, deliveries: cut.purged.deliveries }).toEqual({
    complete: false,
    pages: 2,
    deliveries: 2,
  });
  expect((await purge()).complete).toBe(true);
  for (const d of made) {
    expect(await kept(d)).toEqual({ delivery: false, attempts: 0, event: false });
    await d.receiver.close();
  }
}, 60_000);

test("the dev server's namespace keeps closed workflows' histories 7 days, as compose's setup does", async () => {
  const described = await t.temporal.workflowService.describeNamespace({ namespace: 'default' });
  expect(Number(described.config?.workflowExecutionRetentionTtl?.seconds)).toBe(7 * 86_400);
  expect(fs.readFileSync(path.join(__dirname, '..', '..', 'deploy', 'temporal-create-namespace.sh'), 'utf8')).toContain(
    '--retention 7d',
  );
});
