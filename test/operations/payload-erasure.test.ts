/**
 * Erasing one event's payload (issue 18): DELETE /v1/events/{id}/payload. The body and every copy of a
 * document field value (a receiver that echoes what it got) are gone from the store, the logs and the
 * Temporal histories; its open deliveries (retrying, paused, one in flight) end `failed` with reason
 * `erased`; nothing reaches any receiver after the answer, whatever is tried (resume, redeliver, recover);
 * the metadata stays.
 */
import { capturedLogger } from '../helpers/log-capture';
import { startTestApi, type TestApi } from '../helpers/api';
import { deliveryIn, eventually, startTestEngine, uniqueId, type TestEngine } from '../helpers/engine';
import { historyText } from '../helpers/history';
import { startReceiver, type Receiver, type Reply } from '../helpers/receiver';
import { storeSnapshot } from '../helpers/state';
import type { DeliveryRecord } from '../../src/store/model';

const { logger, lines } = capturedLogger();

let t: TestEngine;
let api: TestApi;
beforeAll(async () => {
  t = await startTestEngine({ logger, retrySchedule: [3600] });
  api = await startTestApi(t, { logger });
});
afterAll(async () => {
  await api.close();
  await t.dispose();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where in the engine's store a value is found, collection by collection (Docflo's own documents aside). */
async function storeCopies(value: string): Promise<string[]> {
  const snapshot = await storeSnapshot(t.db);
  return Object.entries(snapshot)
    .filter(([name]) => name !== 'documents')
    .flatMap(([name, docs]) => docs.filter((d) => d.includes(value)).map(() => name));
}

test("an event's payload is erased everywhere; its open deliveries end failed (erased) and nothing is sent after the answer", async () => {
  const { tenantId, key } = await api.tenant();
  const supplier = `Erase-Me Supplier ${uniqueId('mark')}`;
  const iban = `DE${uniqueId('iban')}`;
  const doc = await t.addDocument(tenantId, { fields: { supplier, iban, total: 1234.5 } });

  // Four endpoints: one that echoes what it got (a copy of the document in the attempt record), one failing
  // (retrying for an hour), one failing then paused, one slow (its attempt in flight at the erasure).
  const webhook = async (reply: (i: number, body: string) => Reply, status = 'active') => {
    const receiver = await startReceiver((req, i) => reply(i, req.rawBody));
    const created = await api.call<{ id: string }>('POST', '/v1/webhooks', {
      key,
      body: { url: receiver.url, event: 'document.approved', retrySchedule: [3600], status },
    });
    expect(created.status).toBe(201);
    return { receiver, id: created.body.id };
  };
  const echo = await webhook((_i, body) => ({ status: 200, body }));
  const failing = await webhook(() => ({ status: 503 }));
  const paused = await webhook(() => ({ status: 503 }));
  const slow = await webhook(() => ({ status: 500, delayMs: 2_500 }));
  // Succeeds at once, then echoes slowly: its redelivery is in flight at the erasure, on a finished delivery.
  const lateEcho = await webhook((i, body) => ({ status: 200, body, delayMs: i === 0 ? 0 : 2_500 }));
  // Inactive when the event is published: its delivery is `skipped`, which recover would re-open.
  const skipping = await webhook(() => ({ status: 200 }), 'inactive');
  const receivers: Receiver[] = [
    echo.receiver,
    failing.receiver,
    paused.receiver,
    slow.receiver,
    lateEcho.receiver,
    skipping.receiver,
  ];

  const eventId = uniqueId('evt');
  const published = await api.call('POST', '/v1/events', {
    key: api.platformKey,
    body: { tenantId, event: 'document.approved', eventId, documentId: String(doc._id) },
  });
  expect(published.status).toBe(202);
  const eventKey = `${tenantId}:${eventId}`;
  const deliveryOf = async (webhookId: string) =>
    eventually(async () => (await t.store.deliveries.listForEvent(eventKey)).find((d) => d.webhookId === webhookId));
  const [echoed, failed, held, slowed, late, skipped] = await Promise.all(
    [echo, failing, paused, slow, lateEcho, skipping].map((w) => deliveryOf(w.id)),
  );
  expect(skipped.status).toBe('skipped');
  await deliveryIn(t.store, echoed._id, ['succeeded']);
  await deliveryIn(t.store, late._id, ['succeeded']);
  await deliveryIn(t.store, failed._id, ['retrying']);
  await deliveryIn(t.store, held._id, ['retrying']);
  expect((await api.call('PATCH', `/v1/webhooks/${paused.id}`, { key, body: { status: 'inactive' } })).status).toBe(
    200,
  );
  await deliveryIn(t.store, held._id, ['paused']);
  // The slow endpoint's second attempt (a redelivery) is in flight when the erasure comes.
  await deliveryIn(t.store, slowed._id, ['retrying']);
  await slow.receiver.waitForRequests(1);
  const redelivery = api.call('POST', `/v1/deliveries/${slowed._id}/redeliver`, { key });
  await slow.receiver.waitForRequests(2);
  const lateRedelivery = api.call('POST', `/v1/deliveries/${late._id}/redeliver`, { key });
  await lateEcho.receiver.waitForRequests(2);
  expect(JSON.stringify(await storeSnapshot(t.db))).toContain(supplier); // the copies the erasure must remove

  // Who may erase, and what it refuses.
  const path = `/v1/events/${eventId}/payload`;
  expect((await api.call('DELETE', path, { key })).status).toBe(403);
  const noTenant = await api.call('DELETE', path, { key: api.platformKey });
  expect(noTenant.status).toBe(400);
  expect(noTenant.text).toContain('query.tenantId');
  expect(
    (await api.call('DELETE', `/v1/events/${uniqueId('evt')}/payload?tenantId=${tenantId}`, { key: api.platformKey }))
      .status,
  ).toBe(404);

  const erased = await api.call<{
    deliveriesEnded: number;
    responseBodiesErased: number;
    complete: boolean;
    payloadErasedAt: string;
  }>('DELETE', `${path}?tenantId=${tenantId}`, { key: api.platformKey });
  const answeredAt = Date.now();
  expect(erased.status).toBe(200);
  expect(erased.body).toMatchObject({ deliveriesEnded: 3, complete: true });
  expect(erased.body.responseBodiesErased).toBeGreaterThanOrEqual(1);
  // The redelivery that was in flight got its answer (a 500), and its delivery ended erased, not retrying.
  expect((await redelivery).status).toBe(200);
  // So did the redelivery of the finished one: the answer waited for it, and its echo was erased after it.
  expect((await lateRedelivery).status).toBe(200);
  const lateAttempts = await api.call<{ attempts: { responseBody: string | null; responseBodyErased: boolean }[] }>(
    'GET',
    `/v1/deliveries/${late._id}`,
    { key },
  );
  expect(lateAttempts.body.attempts.map((a) => [a.responseBody, a.responseBodyErased])).toEqual([
    [null, true],
    [null, true],
  ]);

  const status = async (d: DeliveryRecord) => {
    const now = await t.store.deliveries.findById(d._id);
    return [now?.status, now?.lastError];
  };
  expect(await status(echoed)).toEqual(['succeeded', '']);
  expect(await status(late)).toEqual(['succeeded', '']);
  for (const d of [failed, held, slowed]) expect(await status(d)).toEqual(['failed', 'erased']);
  const sentBefore = receivers.map((r) => r.requests.length);

  // Whatever is tried now sends nothing: resume, redeliver, recover.
  expect((await api.call('PATCH', `/v1/webhooks/${paused.id}`, { key, body: { status: 'active' } })).status).toBe(200);
  const again = await api.call('POST', `/v1/deliveries/${echoed._id}/redeliver`, { key });
  expect(again.status).toBe(409);
  expect(again.text).toContain('payload_erased');
  const recovered = await api.call<{ queued: number }>('POST', `/v1/webhooks/${failing.id}/recover`, {
    key,
    body: { since: new Date(answeredAt - 3_600_000).toISOString() },
  });
  expect(recovered.status).toBe(202);
  expect(recovered.body.queued).toBe(0);
  // The skipped one: re-activated and recovered, it is not re-opened and nothing is sent.
  expect((await api.call('PATCH', `/v1/webhooks/${skipping.id}`, { key, body: { status: 'active' } })).status).toBe(
    200,
  );
  const recoverSkipped = await api.call('POST', `/v1/webhooks/${skipping.id}/recover`, {
    key,
    body: { since: new Date(answeredAt - 3_600_000).toISOString() },
  });
  expect(recoverSkipped.status).toBe(202);
  await sleep(3_000);
  expect(receivers.map((r) => r.requests.filter((q) => q.receivedAt > answeredAt).length)).toEqual([0, 0, 0, 0, 0, 0]);
  expect(await status(skipped)).toEqual(['skipped', undefined]);
  expect(receivers.map((r) => r.requests.length)).toEqual(sentBefore);
  for (const d of [failed, held, slowed]) expect(await status(d)).toEqual(['failed', 'erased']);

  // The metadata stays; the payload and every copy of it are gone: store, logs, histories.
  const event = await api.call<{ payloadErasedAt: string; deliveries: unknown[] }>('GET', `/v1/events/${eventId}`, {
    key,
  });
  expect(event.body.payloadErasedAt).toBe(erased.body.payloadErasedAt);
  expect(event.body.deliveries).toHaveLength(6);
  const echoAttempts = await api.call<{ attempts: { responseBody: string | null; responseBodyErased: boolean }[] }>(
    'GET',
    `/v1/deliveries/${echoed._id}`,
    { key },
  );
  expect(echoAttempts.body.attempts.map((a) => [a.responseBody, a.responseBodyErased])).toEqual([[null, true]]);
  for (const value of [supplier, iban]) {
    expect(await storeCopies(value)).toEqual([]);
    expect(lines.filter((l) => l.includes(value))).toEqual([]);
    // (The skipped delivery never had a run.)
    const workflows = [`event:${eventKey}`, ...[echoed, failed, held, slowed, late].map((d) => d.workflowId)];
    for (const id of workflows) {
      const text = await historyText(t.temporal, id);
      expect({ id, leaks: text.includes(value) }).toEqual({ id, leaks: false });
    }
  }
  // A repeat answers the same erasure.
  const repeat = await api.call<{ payloadErasedAt: string }>('DELETE', `${path}?tenantId=${tenantId}`, {
    key: api.platformKey,
  });
  expect(repeat.status).toBe(200);
  expect(repeat.body.payloadErasedAt).toBe(erased.body.payloadErasedAt);
  for (const r of receivers) await r.close();
}, 120_000);
