/**
 * Endpoint-wide backoff on the real servers: an endpoint that answers one delivery 429 with Retry-After: 20 gets
 * nothing from any of its deliveries for 20 s, then everything; the waiting ones say why.
 */
import { startTestEngine, uniqueId, eventually, type TestEngine } from '../helpers/engine';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { scrape } from '../helpers/prometheus';
import { webhookView } from '../../src/api/presenters';

let t: TestEngine;

/** Publishes one document.approved event about a new document of the tenant; answers its event ID. */
const publisher = (tenantId: string) => async (): Promise<string> => {
  const doc = await t.addDocument(tenantId);
  const eventId = uniqueId('evt');
  await t.engine.publishEvent({ eventId, tenantId, event: 'document.approved', documentId: String(doc._id) });
  return eventId;
};

/** The event's delivery waits for the hold's end without an attempt; answers its reason once it shows. */
async function heldWithoutAttempt(tenantId: string, eventId: string, until: Date | undefined): Promise<string> {
  const waiting = await eventually(async () => {
    const [d] = await t.store.deliveries.listForEvent(`${tenantId}:${eventId}`);
    return d?.nextAttemptAt ? d : undefined;
  });
  expect(waiting.attemptCount).toBe(0);
  expect(waiting.nextAttemptAt?.getTime()).toBeGreaterThanOrEqual(until?.getTime() ?? Infinity);
  return eventually(async () => {
    const text = await t.engine.currentDetails(waiting.workflowId);
    return text?.startsWith('waiting:') ? text : undefined;
  });
}
let receiver: Receiver | undefined;
beforeAll(async () => {
  // The throttle floor off, so the 429's own retry waits what Retry-After asks and no longer.
  t = await startTestEngine({
    retrySchedule: [1, 1, 1],
    retryPolicy: { throttleFloorSeconds: 1 },
    env: { METRICS_PORT: '0' },
  });
});
afterAll(async () => {
  await receiver?.close();
  await t.dispose();
});

test('a 429 with Retry-After: 20 holds every delivery of the endpoint for 20 s, then all arrive', async () => {
  receiver = await startReceiver((_req, index) =>
    index === 0 ? { status: 429, headers: { 'retry-after': '20' }, body: 'slow down' } : { status: 200 },
  );
  const r = receiver;
  const tenantId = uniqueId('tenant');
  const webhook = await t.addWebhook({ tenantId, url: r.url, event: 'document.approved' });
  const publish = publisher(tenantId);
  await publish();
  const [first] = await r.waitForRequests(1);
  const askedAt = first?.receivedAt ?? 0;
  const held = await eventually(async () => (await t.store.endpointStates.find(webhook._id))?.hold);
  expect(held).toMatchObject({ reason: 'HTTP 429', askedSeconds: 20 });
  // GET /v1/webhooks/{id} shows it, as the endpoint's state says.
  const shown = webhookView(
    (await t.store.webhooks.findById(webhook._id)) ?? webhook,
    await t.store.endpointStates.find(webhook._id),
    t.secrets,
  );
  expect(shown.hold).toEqual({ until: held?.until.toISOString(), reason: 'HTTP 429', askedSeconds: 20 });

  // Two more events while the endpoint is held: they wait, and say why.
  const second = await publish();
  await publish();
  const details = await heldWithoutAttempt(tenantId, second, held?.until);
  expect(details).toMatch(/^waiting: endpoint asked to retry after 20 s \(HTTP 429\), next at \d\d:\d\dZ$/);

  // Everything arrives (the 429's retry and the two held ones), none before the 20 s were up.
  const all = await r.waitForRequests(4, 45_000);
  for (const req of all.slice(1)) expect(req.receivedAt - askedAt).toBeGreaterThanOrEqual(20_000);
  // The first success let the endpoint go.
  await eventually(async () => ((await t.store.endpointStates.find(webhook._id))?.hold ? undefined : true));
  const metrics = await scrape(t.workerMetricsUrl ?? '');
  expect(metrics.value('docflo_endpoint_holds_total', { reason: 'HTTP 429' })).toBe(1);
  expect(metrics.value('docflo_delivery_attempts_held_total', {})).toBeGreaterThanOrEqual(2);
}, 90_000);

test('an endpoint that refuses the connection holds all its deliveries for the retry delay, then all arrive', async () => {
  // A port nobody listens on, until the receiver comes up on it.
  const probe = await startReceiver();
  const url = probe.url;
  await probe.close();
  const tenantId = uniqueId('tenant');
  const webhook = await t.addWebhook({ tenantId, url, event: 'document.approved', retrySchedule: [8, 8, 8] });
  const publish = publisher(tenantId);
  await publish();
  const held = await eventually(async () => (await t.store.endpointStates.find(webhook._id))?.hold);
  expect(held).toMatchObject({ reason: 'connection failed', askedSeconds: 8 });
  // Two more while it is held: they make no attempt (none refused), and say why.
  const second = await publish();
  await publish();
  const details = await heldWithoutAttempt(tenantId, second, held?.until);
  expect(details).toMatch(/^waiting: endpoint unreachable \(connection failed\), its deliveries wait 8 s, next at /);
  // The endpoint comes back on the same port: everything arrives, nothing before the hold's end.
  const port = Number(new URL(url).port);
  receiver = await startReceiver(undefined, port);
  const all = await receiver.waitForRequests(3, 45_000);
  for (const req of all) expect(req.receivedAt).toBeGreaterThanOrEqual(held?.until.getTime() ?? Infinity);
  await eventually(async () => ((await t.store.endpointStates.find(webhook._id))?.hold ? undefined : true));
}, 90_000);
