/**
 * Erasing a tenant (issue 18): DELETE /v1/tenants/{id} on a tenant with succeeded, retrying, paused and
 * in-flight deliveries (and a test event), while another tenant's events go on being delivered. Nothing
 * reaches the erased tenant's receivers after the 202; its keys stop at once; every record of it goes from the
 * store (only the erasure's own record keeps its ID), from Temporal's listing and from the logs; the other
 * tenant loses nothing. Repeated calls answer the same erasure.
 */
import { capturedLogger } from '../helpers/log-capture';
import { startTestApi, type TestApi } from '../helpers/api';
import { deliveryIn, eventually, startTestEngine, uniqueId, type TestEngine } from '../helpers/engine';
import { startReceiver, type Receiver, type Reply } from '../helpers/receiver';
import { storeSnapshot } from '../helpers/state';
import { tenantWorkflowsQuery } from '../../src/activities/erasure';
import { collections } from '../../src/store/mongo';

const { logger, lines } = capturedLogger();

let t: TestEngine;
let api: TestApi;
const receivers: Receiver[] = [];
beforeAll(async () => {
  // Small pages, so the erasure pages through every collection.
  t = await startTestEngine({ logger, retrySchedule: [3600], env: { PURGE_BATCH: '10', PURGE_PAUSE_MS: '20' } });
  api = await startTestApi(t, { logger });
});
afterAll(async () => {
  for (const r of receivers) await r.close();
  await api.close();
  await t.dispose();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ErasureView {
  id: string;
  tenantId: string;
  status: 'running' | 'completed';
  stage: string;
  sendingStoppedAt: string | null;
  deleted: Record<string, number>;
}

/** A tenant created by the operator with a name of its own, and one key. */
async function tenantNamed(name: string) {
  const tenantId = uniqueId('ten');
  expect((await api.call('POST', '/v1/tenants', { key: api.adminKey, body: { tenantId, name } })).status).toBe(201);
  const issued = await api.call<{ key: string }>('POST', `/v1/tenants/${tenantId}/api-keys`, { key: api.adminKey });
  return { tenantId, key: issued.body.key };
}

async function endpoint(key: string, reply: () => Reply, urlToken: string, retrySchedule = [3600]) {
  const receiver = await startReceiver(reply);
  receivers.push(receiver);
  const created = await api.call<{ id: string }>('POST', '/v1/webhooks', {
    key,
    body: { url: `${receiver.url}?ref=${urlToken}`, event: 'document.approved', retrySchedule },
  });
  expect(created.status).toBe(201);
  return { receiver, id: created.body.id };
}

async function publish(tenantId: string, supplier: string): Promise<string> {
  const doc = await t.addDocument(tenantId, { fields: { supplier } });
  const eventId = uniqueId('evt');
  const res = await api.call('POST', '/v1/events', {
    key: api.platformKey,
    body: { tenantId, event: 'document.approved', eventId, documentId: String(doc._id) },
  });
  expect(res.status).toBe(202);
  return eventId;
}

test("a tenant is erased while another's traffic goes on: nothing is sent after the 202, nothing of it is left, the other loses nothing", async () => {
  const marks = {
    name: `Erased Tenant GmbH ${uniqueId('name')}`,
    supplier: `Erased Supplier ${uniqueId('sup')}`,
    urlToken: uniqueId('urltoken'),
  };
  const erased = await tenantNamed(marks.name);
  const kept = await tenantNamed(`Kept ${uniqueId('name')}`);

  const ok = await endpoint(erased.key, () => ({ status: 200 }), marks.urlToken);
  // Retried every 2 s: left alone, it would go on being sent after the answer.
  const failing = await endpoint(erased.key, () => ({ status: 503 }), marks.urlToken, Array<number>(20).fill(2));
  const paused = await endpoint(erased.key, () => ({ status: 503 }), marks.urlToken);
  const slow = await endpoint(erased.key, () => ({ status: 500, delayMs: 2_500 }), marks.urlToken);
  const erasedReceivers = [ok, failing, paused, slow].map((e) => e.receiver);
  const first = await publish(erased.tenantId, marks.supplier);
  const deliveries = await eventually(async () => {
    const found = await t.store.deliveries.listForEvent(`${erased.tenantId}:${first}`);
    return found.length === 4 ? found : undefined;
  });
  const of = (id: string) => deliveries.find((d) => d.webhookId === id)?._id ?? '';
  await deliveryIn(t.store, of(ok.id), ['succeeded']);
  await deliveryIn(t.store, of(failing.id), ['retrying']);
  await deliveryIn(t.store, of(paused.id), ['retrying']);
  expect(
    (await api.call('PATCH', `/v1/webhooks/${paused.id}`, { key: erased.key, body: { status: 'inactive' } })).status,
  ).toBe(200);
  await deliveryIn(t.store, of(paused.id), ['paused']);
  expect((await api.call('POST', `/v1/webhooks/${ok.id}/test`, { key: erased.key })).status).toBe(200);
  await publish(erased.tenantId, marks.supplier);
  // The slow endpoint's attempt of the second event is in flight when the erasure comes.
  await slow.receiver.waitForRequests(2);

  // The other tenant publishes all along.
  const other = await endpoint(kept.key, () => ({ status: 200 }), 'kept');
  const keptEvents: string[] = [];
  let publishing = true;
  const traffic = (async () => {
    while (publishing) {
      keptEvents.push(await publish(kept.tenantId, 'Kept Supplier'));
      await sleep(150);
    }
  })();
  await sleep(500);

  expect((await api.call('DELETE', `/v1/tenants/${erased.tenantId}`, { key: erased.key })).status).toBe(403);
  const answer = await api.call<ErasureView>('DELETE', `/v1/tenants/${erased.tenantId}`, { key: api.adminKey });
  const answeredAt = Date.now();
  expect(answer.status).toBe(202);
  expect(answer.headers.get('location')).toBe(`/v1/erasures/${answer.body.id}`);
  expect(answer.body).toMatchObject({ tenantId: erased.tenantId, status: 'running' });
  expect(answer.body.sendingStoppedAt).not.toBeNull();

  // Its keys stop at once; it takes no new event, key or change; a repeat answers the same erasure.
  expect((await api.call('GET', '/v1/webhooks', { key: erased.key })).status).toBe(401);
  const refused = await api.call('POST', `/v1/tenants/${erased.tenantId}/api-keys`, { key: api.adminKey });
  expect([404, 409]).toContain(refused.status);
  const late = await api.call('POST', '/v1/events', {
    key: api.platformKey,
    body: { tenantId: erased.tenantId, event: 'document.approved', eventId: uniqueId('evt'), documentId: 'x' },
  });
  expect([404, 409]).toContain(late.status);
  const again = await api.call<ErasureView>('DELETE', `/v1/tenants/${erased.tenantId}`, { key: api.adminKey });
  expect([again.status, again.body.id]).toEqual([202, answer.body.id]);

  const done = await eventually(
    async () => {
      const view = await api.call<ErasureView>('GET', `/v1/erasures/${answer.body.id}`, { key: api.adminKey });
      return view.body.status === 'completed' ? view.body : undefined;
    },
    90_000,
    'the erasure to complete',
  );
  expect(done.deleted).toMatchObject({ apiKeys: 1, webhooks: 4, events: 3 });
  expect(done.deleted.deliveries).toBeGreaterThanOrEqual(9);
  expect(done.deleted.attempts).toBeGreaterThanOrEqual(8);
  expect(done.deleted.workflows).toBeGreaterThanOrEqual(9);
  publishing = false;
  await traffic;

  // Nothing reached the erased tenant's receivers after the answer.
  await sleep(1_000);
  expect(erasedReceivers.map((r) => r.requests.filter((q) => q.receivedAt > answeredAt).length)).toEqual([0, 0, 0, 0]);

  // Nothing of it is left: the store (the erasure's record keeps its ID, nothing else), Temporal, the logs.
  const snapshot = await storeSnapshot(t.db);
  const holding = (value: string) =>
    Object.entries(snapshot)
      .filter(([name]) => name !== 'documents')
      .flatMap(([name, docs]) => docs.filter((d) => d.includes(value)).map(() => name));
  expect(holding(erased.tenantId)).toEqual(['tenant_erasures']);
  for (const value of Object.values(marks)) {
    expect({ value, store: holding(value), logs: lines.filter((l) => l.includes(value)) }).toEqual({
      value,
      store: [],
      logs: [],
    });
  }
  await eventually(
    async () => {
      const { count } = await t.temporal.workflow.count(tenantWorkflowsQuery(erased.tenantId, false));
      return count === 0 ? true : undefined;
    },
    30_000,
    "the erased tenant's workflows to be gone from Temporal",
  );

  // The other tenant lost nothing: every event delivered once, every record there, its key still works.
  await other.receiver.waitForRequests(keptEvents.length, 30_000);
  const keptDeliveries = await eventually(async () => {
    const all = await Promise.all(
      keptEvents.map(async (e) => (await t.store.deliveries.listForEvent(`${kept.tenantId}:${e}`))[0]),
    );
    return all.every((d) => d?.status === 'succeeded') ? all : undefined;
  });
  expect(keptDeliveries).toHaveLength(keptEvents.length);
  expect(new Set(other.receiver.requests.map((r) => r.headers['x-docflo-delivery'])).size).toBe(keptEvents.length);
  expect((await api.call('GET', '/v1/webhooks', { key: kept.key })).status).toBe(200);

  // Completed: a repeat still answers it; an unknown tenant is a 404.
  const after = await api.call<ErasureView>('DELETE', `/v1/tenants/${erased.tenantId}`, { key: api.adminKey });
  expect([after.status, after.body.id, after.body.status]).toEqual([202, answer.body.id, 'completed']);
  expect((await api.call('DELETE', `/v1/tenants/${uniqueId('ten')}`, { key: api.adminKey })).status).toBe(404);
  expect((await api.call('GET', `/v1/erasures/era_0000000000000000`, { key: api.adminKey })).status).toBe(404);
}, 180_000);

test("a key issued in the instant an erasure begins (past the route's check) is taken back, not left to outlive it", async () => {
  const { tenantId } = await tenantNamed(`Racing ${uniqueId('name')}`);
  const keys = () => collections(t.db).apiKeys.countDocuments({ tenantId });
  expect(await keys()).toBe(1);
  // The erasure begins between the route's check and the insert (no workflow here: only the mark).
  await t.store.erasures.begin(tenantId, new Date());
  await expect(t.store.tenants.issueKey(tenantId, new Date())).rejects.toThrow('is being erased');
  expect(await keys()).toBe(1);
  const refused = await api.call('POST', `/v1/tenants/${tenantId}/api-keys`, { key: api.adminKey });
  expect([refused.status, refused.text.includes('tenant_erasing')]).toEqual([409, true]);
});
