/**
 * What `PATCH inactive` guarantees, at its boundary (README "What pausing guarantees"): from its answer on no
 * attempt starts, and an attempt already sending completes and is recorded. The worker reaches the store
 * through a proxy that reads the wire protocol, so a test can stop an attempt exactly between reading the
 * webhook as active and claiming its attempt, and pause the webhook there.
 */
import { startTestApi, type TestApi } from '../helpers/api';
import { eventually, startTestEngine, uniqueId, type TestEngine } from '../helpers/engine';
import { startMongoWireProxy, type MongoWireProxy } from '../helpers/mongo-wire-proxy';
import { startReceiver, type Reply } from '../helpers/receiver';
import { testEnv } from '../helpers/test-env';
import type { DeliveryRecord, DeliveryStatus } from '../../src/store/model';

let proxy: MongoWireProxy;
let t: TestEngine;
let api: TestApi;
beforeAll(async () => {
  proxy = await startMongoWireProxy(testEnv().mongoUri);
  t = await startTestEngine({ workerMongoUri: proxy.uri, env: { DELIVERY_PAUSE_RECHECK: '2s' } });
  api = await startTestApi(t);
});
afterAll(async () => {
  proxy.release();
  await api.close();
  await t.dispose();
  await proxy.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isClaim = (c: { name: string; collection?: string }) =>
  c.name === 'insert' && c.collection === 'delivery_attempts';

async function deliveryIn(tenantId: string, eventId: string, statuses: DeliveryStatus[]): Promise<DeliveryRecord> {
  return eventually(
    async () => {
      const [d] = await t.store.deliveries.listForEvent(`${tenantId}:${eventId}`);
      return d && statuses.includes(d.status) ? d : undefined;
    },
    30_000,
    `the delivery to be ${statuses.join('/')}`,
  );
}

async function webhookWithEvent(reply: () => Reply) {
  const receiver = await startReceiver(reply);
  const { tenantId, key } = await api.tenant();
  const doc = await t.addDocument(tenantId);
  const created = await api.call<{ id: string }>('POST', '/v1/webhooks', {
    key,
    body: { url: receiver.url, event: 'document.approved' },
  });
  expect(created.status).toBe(201);
  const publish = async () => {
    const eventId = uniqueId('evt');
    await t.engine.publishEvent({ eventId, tenantId, event: 'document.approved', documentId: String(doc._id) });
    return eventId;
  };
  const patch = (status: 'active' | 'inactive') =>
    api.call('PATCH', `/v1/webhooks/${created.body.id}`, { key, body: { status } });
  return { receiver, tenantId, key, publish, patch };
}

test('an attempt that read the webhook as active but had not started when PATCH inactive answered sends nothing', async () => {
  const { receiver, tenantId, publish, patch } = await webhookWithEvent(() => ({ status: 200 }));
  // The attempt has read its webhook (active) and is about to claim attempt 1: hold it there.
  proxy.hold(isClaim);
  const eventId = await publish();
  await eventually(() => Promise.resolve(proxy.held().some(isClaim) ? true : undefined), 15_000, 'the claim');

  const paused = await patch('inactive');
  expect(paused.status).toBe(200);
  const answeredAt = Date.now();
  proxy.release();

  await sleep(3_000); // past a pause re-check: still nothing
  expect(receiver.requests.filter((r) => r.receivedAt >= answeredAt)).toEqual([]);
  const delivery = await deliveryIn(tenantId, eventId, ['paused']);
  expect(await t.store.deliveries.listAttempts(delivery._id)).toEqual([]);

  // Resumed, it is sent once, as attempt 1: the withdrawn claim used no number.
  expect((await patch('active')).status).toBe(200);
  const [request] = await receiver.waitForRequests(1, 30_000);
  expect(request?.headers['x-docflo-attempt']).toBe('1');
  expect(await deliveryIn(tenantId, eventId, ['succeeded'])).toMatchObject({ attemptCount: 1 });
  await sleep(500);
  expect(receiver.requests).toHaveLength(1);
  await receiver.close();
});

test('an attempt already sending when PATCH inactive answers completes and is recorded, and nothing follows it', async () => {
  let answer: Reply = { status: 503, delayMs: 2_000 };
  const { receiver, tenantId, publish, patch } = await webhookWithEvent(() => answer);
  const eventId = await publish();
  await receiver.waitForRequests(1, 15_000);
  answer = { status: 200 };

  // Attempt 1 is at the receiver, which answers 503 in 2 s: pause meanwhile.
  expect((await patch('inactive')).status).toBe(200);
  const answeredAt = Date.now();
  const delivery = await deliveryIn(tenantId, eventId, ['paused']);
  const attempts = await eventually(async () => {
    const list = await t.store.deliveries.listAttempts(delivery._id);
    return list.length === 1 && list[0]?.state === 'done' ? list : undefined;
  });
  expect(attempts[0]).toMatchObject({ attempt: 1, statusCode: 503, delivered: false });
  expect(attempts[0]?.startedAt.getTime()).toBeLessThan(answeredAt);
  await sleep(4_000); // the retry schedule's first retry and two pause re-checks
  expect(receiver.requests).toHaveLength(1);
  await receiver.close();
});

test('a manual redelivery caught by a pause between its read and its claim answers 409 and sends nothing', async () => {
  const { receiver, tenantId, publish, patch, key } = await webhookWithEvent(() => ({ status: 200 }));
  const eventId = await publish();
  const delivery = await deliveryIn(tenantId, eventId, ['succeeded']);
  expect(receiver.requests).toHaveLength(1);

  proxy.hold(isClaim);
  const redelivery = api.call<{ error: { code: string; message: string } }>(
    'POST',
    `/v1/deliveries/${delivery._id}/redeliver`,
    { key },
  );
  await eventually(() => Promise.resolve(proxy.held().some(isClaim) ? true : undefined), 15_000, 'the claim');
  expect((await patch('inactive')).status).toBe(200);
  proxy.release();

  const refused = await redelivery;
  expect(refused.status).toBe(409);
  expect(refused.body.error.message).toMatch(/paused before the attempt started: nothing was sent/);
  await sleep(1_000);
  expect(receiver.requests).toHaveLength(1);
  expect(await t.store.deliveries.listAttempts(delivery._id)).toHaveLength(1);
  expect(await t.store.deliveries.findById(delivery._id)).toMatchObject({ status: 'succeeded', attemptCount: 1 });
  await receiver.close();
});
