/**
 * A webhook's record is the tenant's: what the engine writes about an endpoint (a hold it asked for, a streak of
 * failures) never undoes a change the tenant made at the same moment. FerretDB 1.24 applies an update by reading
 * the document and writing all of it back, so two writers of one document can undo each other.
 */
import type { MongoClient } from 'mongodb';
import { createStore, type Store } from '../../src/store';
import { connectMongo, ensureIndexes } from '../../src/store/mongo';
import { migrateEndpointState } from '../../src/store/endpoint-state-migration';
import { guardModeOf } from '../../src/store/guarded-writes';
import type { WebhookRecord } from '../../src/store/model';
import { uniqueId } from '../helpers/engine';
import { testEnv } from '../helpers/test-env';

let mongo: MongoClient;
let store: Store;
const name = uniqueId('writers');

beforeAll(async () => {
  mongo = await connectMongo(testEnv().mongoUri);
  await ensureIndexes(mongo.db(name));
  store = createStore(mongo.db(name), { guardMode: await guardModeOf(mongo.db(name)) });
});
afterAll(async () => {
  await mongo
    .db(name)
    .dropDatabase()
    .catch(() => undefined);
  await mongo.close();
});

async function webhook(): Promise<WebhookRecord> {
  const now = new Date();
  const record: WebhookRecord = {
    _id: uniqueId('wh'),
    tenantId: 'tenant-writers',
    url: 'https://receiver.test/hooks',
    event: 'document.processed',
    auth: { type: 'none' },
    status: 'active',
    createdAt: now,
    updatedAt: now,
  };
  await store.webhooks.insert(record);
  return record;
}

test("the tenant's pause and new limit survive the engine's writes about the same endpoint, made at the same time", async () => {
  const lost: string[] = [];
  for (let round = 0; round < 30; round++) {
    const w = await webhook();
    const at = new Date();
    const perSecond = round + 1;
    const hold = { until: new Date(at.getTime() + 30_000), reason: 'HTTP 429', askedSeconds: 30 };
    // The tenant pauses the webhook and sets a limit while the engine counts failures and stores a hold.
    await Promise.all([
      (async () => {
        await store.webhooks.setStatus(w.tenantId, w._id, 'inactive', at);
        await store.webhooks.update(w.tenantId, w._id, { rateLimit: { perSecond, burst: 1 } }, []);
      })(),
      ...Array.from({ length: 3 }, (_, i) => store.endpointStates.recordFailure(w, `HTTP 503 (${i})`, at)),
      store.endpointStates.hold(w, hold),
      store.webhooks.markHandedOut(w._id, 1),
    ]);
    const after = await store.webhooks.findById(w._id);
    if (after?.status !== 'inactive' || after.statusVersion !== 1)
      lost.push(`round ${round}: status ${after?.status} v${after?.statusVersion}`);
    if (after?.rateLimit?.perSecond !== perSecond)
      lost.push(`round ${round}: rateLimit ${JSON.stringify(after?.rateLimit)}`);
    const state = await store.endpointStates.find(w._id);
    if (state?.hold?.until.getTime() !== hold.until.getTime())
      lost.push(`round ${round}: hold ${JSON.stringify(state)}`);
  }
  expect(lost).toEqual([]);
});

test('a streak counts failures under one status version: a pause or a re-enabling starts it afresh', async () => {
  const w = await webhook();
  const at = new Date(Date.now() - 60_000);
  await store.endpointStates.recordFailure(w, 'HTTP 500', at);
  const second = await store.endpointStates.recordFailure(w, 'HTTP 502', new Date());
  expect(second?.failureStreak).toMatchObject({ count: 2, since: at, lastError: 'HTTP 502', statusVersion: 0 });
  await store.webhooks.setStatus(w.tenantId, w._id, 'inactive', new Date());
  const resumed = await store.webhooks.setStatus(w.tenantId, w._id, 'active', new Date());
  const after = await store.endpointStates.recordFailure(resumed ?? w, 'HTTP 503', new Date());
  expect(after?.failureStreak).toMatchObject({ count: 1, lastError: 'HTTP 503', statusVersion: 2 });
});

test('a hold only moves later, and a success releases the hold it saw, not a later one', async () => {
  const w = await webhook();
  const at = Date.now();
  const hold = (s: number) => ({ until: new Date(at + s * 1000), reason: 'HTTP 429', askedSeconds: s });
  expect(await store.endpointStates.hold(w, hold(20))).toBe(true);
  expect(await store.endpointStates.hold(w, hold(10))).toBe(false);
  expect(await store.endpointStates.hold(w, hold(30))).toBe(true);
  await store.endpointStates.release(w._id, hold(20));
  expect((await store.endpointStates.find(w._id))?.hold?.askedSeconds).toBe(30);
  await store.endpointStates.release(w._id, hold(30));
  expect((await store.endpointStates.find(w._id))?.hold).toBeUndefined();
});

test('records written before the split keep their hand-off, hold, streak and unwritten disabling, copied once', async () => {
  const db = mongo.db(name);
  const legacy = async (fields: Record<string, unknown>) => {
    const w = await webhook();
    await db.collection<{ _id: string }>('webhooks').updateOne({ _id: w._id }, { $set: fields });
    return w;
  };
  const until = new Date(Date.now() + 60_000);
  const since = new Date(Date.now() - 60_000);
  const pending = await legacy({ status: 'inactive', statusVersion: 3, statusHandOffPending: 3 });
  const held = await legacy({ hold: { until, reason: 'HTTP 429', askedSeconds: 60 } });
  const failing = await legacy({
    statusVersion: 2,
    failureStreak: { since, count: 4, lastError: 'HTTP 500', lastFailureAt: since, warned: [50] },
  });
  const claimed = await legacy({ statusVersion: 1, disabledReason: { reason: 'auto: HTTP 500', at: since } });
  // A hold the new code wrote first is not overwritten by the copy.
  const newer = await legacy({ hold: { until, reason: 'HTTP 429', askedSeconds: 60 } });
  const later = { until: new Date(until.getTime() + 60_000), reason: 'HTTP 503', askedSeconds: 120 };
  await store.endpointStates.hold(newer, later);
  await db.collection<{ _id: string }>('migrations').deleteOne({ _id: 'endpoint-state-split' });

  expect(await migrateEndpointState(db)).toBeGreaterThanOrEqual(5);
  expect(await store.webhooks.handOffPending(pending._id)).toBe(3);
  expect((await store.webhooks.listHandOffPending(new Date(Date.now() + 1000), 1000)).map((w) => w._id)).toContain(
    pending._id,
  );
  expect(await store.endpointStates.findHold(held._id)).toEqual({ until, reason: 'HTTP 429', askedSeconds: 60 });
  expect((await store.endpointStates.find(failing._id)).failureStreak).toMatchObject({
    since,
    count: 4,
    statusVersion: 2,
  });
  expect((await store.endpointStates.find(claimed._id)).disabling).toMatchObject({
    reason: 'auto: HTTP 500',
    statusVersion: 1,
  });
  expect(await store.endpointStates.findHold(newer._id)).toEqual(later);
  // Once: its marker stops it reading the webhooks again.
  expect(await migrateEndpointState(db)).toBe(0);
});

test('a hand-off mark never moves back: handing out an older version leaves a newer one pending', async () => {
  const w = await webhook();
  await store.webhooks.setStatus(w.tenantId, w._id, 'inactive', new Date());
  await store.webhooks.setStatus(w.tenantId, w._id, 'active', new Date());
  expect(await store.webhooks.handOffPending(w._id)).toBe(2);
  await store.webhooks.markHandedOut(w._id, 1);
  expect(await store.webhooks.handOffPending(w._id)).toBe(2);
  await store.webhooks.markHandedOut(w._id, 2);
  expect(await store.webhooks.handOffPending(w._id)).toBeUndefined();
});

test("a listing's page reads every webhook's hold and streak at once, each under its own webhook", async () => {
  const [held, failing, quiet] = [await webhook(), await webhook(), await webhook()];
  const hold = { until: new Date(Date.now() + 30_000), reason: 'HTTP 429', askedSeconds: 30 };
  await store.endpointStates.hold(held, hold);
  await store.endpointStates.recordFailure(failing, 'HTTP 500', new Date());
  const states = await store.endpointStates.findMany([held._id, failing._id, quiet._id]);
  expect(states.get(held._id)).toEqual({ hold });
  expect(states.get(failing._id)?.failureStreak).toMatchObject({ count: 1, lastError: 'HTTP 500' });
  expect(states.get(failing._id)?.hold).toBeUndefined();
  expect(states.get(quiet._id)).toEqual({});
  expect(await store.endpointStates.findMany([])).toEqual(new Map());
});
