/**
 * The API driving the engine: publish, test events, deliveries and attempts, redelivery, pause/resume,
 * recover and delete all reach the workflows and the receiver.
 */
import { startTestApi, type TestApi } from '../helpers/api';
import { eventually, startTestEngine, uniqueId, type TestEngine } from '../helpers/engine';
import { startReceiver } from '../helpers/receiver';

let t: TestEngine;
let api: TestApi;
beforeAll(async () => {
  t = await startTestEngine({ retrySchedule: [1, 1] });
  api = await startTestApi(t);
});
afterAll(async () => {
  await api.close();
  await t.dispose();
});

const TOKEN = 'bearer-token-for-deliveries-api';

interface Delivery {
  id: string;
  status: string;
  attemptCount: number;
  eventId: string;
  attempts?: {
    attempt: number;
    trigger: string;
    statusCode: number;
    requestHeaders: Record<string, string>;
    responseBody: string;
  }[];
}

async function webhookTo(key: string, url: string, extra: Record<string, unknown> = {}) {
  const res = await api.call<{ id: string }>('POST', '/v1/webhooks', {
    key,
    body: { url, event: 'document.processed', auth: { type: 'bearer', token: TOKEN }, ...extra },
  });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function publish(tenantId: string, documentId: string, eventId = uniqueId('evt')) {
  const res = await api.call<{ eventId: string; workflowId: string }>('POST', '/v1/events', {
    key: api.platformKey,
    body: { tenantId, event: 'document.processed', documentId, eventId },
  });
  expect(res.status).toBe(202);
  return res.body;
}

async function deliveryOf(key: string, webhookId: string, status?: string): Promise<Delivery> {
  return eventually(
    async () => {
      const res = await api.call<{ data: Delivery[] }>('GET', `/v1/webhooks/${webhookId}/deliveries`, { key });
      const found = res.body.data[0];
      return found && (!status || found.status === status) ? found : undefined;
    },
    30_000,
    `a ${status ?? ''} delivery of ${webhookId}`,
  );
}

test('the platform publishes an event; the tenant sees it, its delivery and the attempt with credentials redacted', async () => {
  const receiver = await startReceiver();
  const { tenantId, key } = await api.tenant();
  const webhookId = await webhookTo(key, receiver.url);
  const doc = await t.addDocument(tenantId);
  const { eventId } = await publish(tenantId, String(doc._id), 'evt-api-1');
  expect(eventId).toBe('evt-api-1');
  const [req] = await receiver.waitForRequests(1);
  expect(req?.headers.authorization).toBe(`Bearer ${TOKEN}`);

  const delivery = await deliveryOf(key, webhookId, 'succeeded');
  const event = await api.call<{ id: string; status: string; deliveries: Delivery[] }>('GET', `/v1/events/${eventId}`, {
    key,
  });
  expect(event.body).toMatchObject({ id: eventId, status: 'dispatched', documentId: String(doc._id) });
  expect(event.body.deliveries.map((d) => d.id)).toEqual([delivery.id]);

  const detail = await api.call<Delivery>('GET', `/v1/deliveries/${delivery.id}`, { key });
  expect(detail.body).toMatchObject({ id: delivery.id, status: 'succeeded', attemptCount: 1 });
  expect(detail.body.attempts?.[0]).toMatchObject({
    attempt: 1,
    trigger: 'automatic',
    statusCode: 200,
    responseBody: 'ok',
  });
  expect(detail.body.attempts?.[0]?.requestHeaders.authorization).toBe('[redacted]');

  // A tenant key may not publish, and another tenant sees neither the event nor the delivery.
  expect(
    (await api.call('POST', '/v1/events', { key, body: { tenantId, event: 'document.processed', documentId: 'x' } }))
      .status,
  ).toBe(403);
  const other = await api.tenant();
  expect((await api.call('GET', `/v1/events/${eventId}`, { key: other.key })).status).toBe(404);
  expect((await api.call('GET', `/v1/deliveries/${delivery.id}`, { key: other.key })).status).toBe(404);
  expect((await api.call('POST', `/v1/deliveries/${delivery.id}/redeliver`, { key: other.key })).status).toBe(404);
});

test('a test event sends a sample document through the real path and reports the attempt', async () => {
  const receiver = await startReceiver(() => ({ status: 200, body: 'received the sample' }));
  const { key } = await api.tenant();
  const webhookId = await webhookTo(key, receiver.url, { status: 'inactive' });
  const res = await api.call<{
    delivered: boolean;
    statusCode: number;
    responseBody: string;
    attempt: number;
    deliveryId: string;
  }>('POST', `/v1/webhooks/${webhookId}/test`, { key });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ delivered: true, statusCode: 200, responseBody: 'received the sample', attempt: 1 });
  const [req] = receiver.requests;
  const body = JSON.parse(req?.rawBody ?? '{}') as { event: string; doc: { fields: { InvoiceId: string } } };
  expect(body.event).toBe('document.processed');
  expect(body.doc.fields.InvoiceId).toBe('INV-2025-001');
  expect(req?.headers['x-docflo-delivery']).toBe(res.body.deliveryId);
  // The delivery names the sample document the receiver got.
  const listed = await api.call<{ id: string; documentId: string | null }>(
    'GET',
    `/v1/deliveries/${res.body.deliveryId}`,
    {
      key,
    },
  );
  expect(listed.body.documentId).toBe((JSON.parse(req?.rawBody ?? '{}') as { doc: { _id: string } }).doc._id);

  const failing = await startReceiver(() => ({ status: 500, body: 'nope' }));
  const failingId = await webhookTo(key, failing.url);
  const failed = await api.call<{ delivered: boolean; error: string }>('POST', `/v1/webhooks/${failingId}/test`, {
    key,
  });
  expect(failed.body).toMatchObject({ delivered: false, statusCode: 500, error: 'HTTP 500', responseBody: 'nope' });
});

test('redeliver through the API makes a manual attempt of a failed delivery', async () => {
  let healthy = false;
  const receiver = await startReceiver(() => (healthy ? { status: 200 } : { status: 503 }));
  const { tenantId, key } = await api.tenant();
  const webhookId = await webhookTo(key, receiver.url, { retrySchedule: [] });
  const doc = await t.addDocument(tenantId);
  await publish(tenantId, String(doc._id));
  const failed = await deliveryOf(key, webhookId, 'failed');
  healthy = true;
  const res = await api.call<{ delivered: boolean; attempt: number }>('POST', `/v1/deliveries/${failed.id}/redeliver`, {
    key,
  });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ delivered: true, attempt: 2 });
  const detail = await api.call<Delivery>('GET', `/v1/deliveries/${failed.id}`, { key });
  expect(detail.body.status).toBe('succeeded');
  expect(detail.body.attempts?.map((a) => a.trigger)).toEqual(['automatic', 'manual']);
});

test('PATCH status pauses and resumes in-flight deliveries through the engine; an inactive webhook refuses redelivery', async () => {
  let healthy = false;
  const receiver = await startReceiver(() => (healthy ? { status: 200 } : { status: 503 }));
  const { tenantId, key } = await api.tenant();
  const webhookId = await webhookTo(key, receiver.url, { retrySchedule: [2, 2] });
  const doc = await t.addDocument(tenantId);
  await publish(tenantId, String(doc._id));
  const retrying = await deliveryOf(key, webhookId, 'retrying');

  const paused = await api.call<{ status: string; handedToDeliveries: number }>('PATCH', `/v1/webhooks/${webhookId}`, {
    key,
    body: { status: 'inactive' },
  });
  expect(paused.body).toMatchObject({ status: 'inactive', handedToDeliveries: 1 });
  await deliveryOf(key, webhookId, 'paused');
  expect((await api.call('POST', `/v1/deliveries/${retrying.id}/redeliver`, { key })).status).toBe(409);
  healthy = true;
  await new Promise((r) => setTimeout(r, 3_000));
  expect(receiver.requests).toHaveLength(1);

  const resumed = await api.call<{ handedToDeliveries: number }>('PATCH', `/v1/webhooks/${webhookId}`, {
    key,
    body: { status: 'active' },
  });
  expect(resumed.body.handedToDeliveries).toBe(1);
  await deliveryOf(key, webhookId, 'succeeded');
  expect(receiver.requests).toHaveLength(2);
});

test('recover re-sends the events a webhook skipped while inactive, and its failed deliveries', async () => {
  let healthy = false;
  const receiver = await startReceiver(() => (healthy ? { status: 200 } : { status: 500 }));
  const { tenantId, key } = await api.tenant();
  const since = new Date(Date.now() - 1000).toISOString();
  const webhookId = await webhookTo(key, receiver.url, { status: 'inactive', retrySchedule: [] });
  const doc = await t.addDocument(tenantId);
  await publish(tenantId, String(doc._id), 'evt-skipped');
  await deliveryOf(key, webhookId, 'skipped');
  expect((await api.call('POST', `/v1/webhooks/${webhookId}/recover`, { key, body: { since } })).status).toBe(409);

  await api.call('PATCH', `/v1/webhooks/${webhookId}`, { key, body: { status: 'active' } });
  await publish(tenantId, String(doc._id), 'evt-failed');
  await eventually(async () => {
    const list = await api.call<{ data: Delivery[] }>('GET', `/v1/webhooks/${webhookId}/deliveries?status=failed`, {
      key,
    });
    return list.body.data.length === 1 ? true : undefined;
  });
  healthy = true;
  const bad = await api.call('POST', `/v1/webhooks/${webhookId}/recover`, { key, body: { since: 'yesterday' } });
  expect(bad.status).toBe(400);
  const res = await api.call<{ queued: number }>('POST', `/v1/webhooks/${webhookId}/recover`, { key, body: { since } });
  expect(res.status).toBe(202);
  expect(res.body.queued).toBe(2);
  await eventually(async () => {
    const list = await api.call<{ data: Delivery[] }>('GET', `/v1/webhooks/${webhookId}/deliveries?status=succeeded`, {
      key,
    });
    return list.body.data.length === 2 ? true : undefined;
  });
  const events = receiver.requests
    .filter((r) => r.headers['x-docflo-event'])
    .map((r) => r.headers['x-docflo-delivery']);
  expect(new Set(events).size).toBe(2);
  // A second recover of the same window finds nothing left to re-send.
  expect(
    (await api.call<{ queued: number }>('POST', `/v1/webhooks/${webhookId}/recover`, { key, body: { since } })).body
      .queued,
  ).toBe(0);
});

test('deleting a webhook stops its running deliveries and keeps their records', async () => {
  const receiver = await startReceiver(() => ({ status: 500 }));
  const { tenantId, key } = await api.tenant();
  const webhookId = await webhookTo(key, receiver.url, { retrySchedule: [3600] });
  const doc = await t.addDocument(tenantId);
  await publish(tenantId, String(doc._id));
  const retrying = await deliveryOf(key, webhookId, 'retrying');
  const deleted = await api.call('DELETE', `/v1/webhooks/${webhookId}`, { key });
  expect(deleted.body).toEqual({ deleted: true, cancelledDeliveries: 1 });
  const cancelled = await eventually(async () => {
    const d = await api.call<Delivery>('GET', `/v1/deliveries/${retrying.id}`, { key });
    return d.body.status === 'cancelled' ? d.body : undefined;
  });
  expect(cancelled.attempts).toHaveLength(1);
});

afterAll(() => {
  expect(api.transcript.filter(({ text }) => text.includes(TOKEN))).toEqual([]);
});
