/** The store on the real MongoDB-wire server (FerretDB here): indexes, idempotent writes, tenant scoping. */
import { MongoServerError, type MongoClient } from 'mongodb';
import { createStore, type Store } from '../../src/store';
import type { AttemptRecord, DeliveryRecord } from '../../src/store/model';
import { collections, connectMongo, ensureIndexes } from '../../src/store/mongo';
import { attemptId } from '../../src/store/delivery-repository';
import { uniqueId } from '../helpers/engine';
import { testEnv } from '../helpers/test-env';

let mongo: MongoClient;
let store: Store;
let dbName: string;
beforeAll(async () => {
  mongo = await connectMongo(testEnv().mongoUri);
  dbName = uniqueId('store');
  await ensureIndexes(mongo.db(dbName));
  await ensureIndexes(mongo.db(dbName)); // idempotent
  store = createStore(mongo.db(dbName));
});
afterAll(async () => {
  await mongo.db(dbName).dropDatabase();
  await mongo.close();
});

const attempt = (overrides: Partial<AttemptRecord> = {}): AttemptRecord => ({
  _id: attemptId('dlv_1', overrides.attempt ?? 1),
  deliveryId: 'dlv_1',
  tenantId: 't',
  webhookId: 'wh',
  attempt: 1,
  trigger: 'automatic',
  url: 'https://example.test/',
  requestHeaders: {},
  delivered: false,
  statusCode: 500,
  durationMs: 5,
  startedAt: new Date(),
  createdAt: new Date(),
  ...overrides,
});

test('the unique index on (delivery, attempt) holds on the server, and recordAttempt keeps the first record', async () => {
  const first = attempt({ statusCode: 503 });
  await store.deliveries.recordAttempt(first);
  await expect(collections(mongo.db(dbName)).attempts.insertOne(attempt())).rejects.toBeInstanceOf(MongoServerError);
  // The (delivery, attempt) unique index holds even for a record with another _id.
  await expect(collections(mongo.db(dbName)).attempts.insertOne({ ...attempt(), _id: 'other' })).rejects.toBeInstanceOf(
    MongoServerError,
  );
  const again = await store.deliveries.recordAttempt(attempt({ statusCode: 200, delivered: true }));
  expect(again._id).toBe(first._id);
  expect(again.statusCode).toBe(503);
  expect(await store.deliveries.listAttempts('dlv_1')).toHaveLength(1);
  await store.deliveries.recordAttempt(attempt({ attempt: 2 }));
  expect((await store.deliveries.listAttempts('dlv_1')).map((a) => a.attempt)).toEqual([1, 2]);
});

test('a delivery record is created once and never overwritten by a repeated dispatch', async () => {
  const now = new Date();
  const record: DeliveryRecord = {
    _id: uniqueId('dlv'),
    tenantId: 't',
    webhookId: 'wh',
    eventKey: 't:e',
    eventId: 'e',
    event: 'document.created',
    workflowId: 'delivery:wh:e',
    status: 'pending',
    attemptCount: 0,
    createdAt: now,
    updatedAt: now,
  };
  await store.deliveries.ensure(record);
  await store.deliveries.recordStateChange(
    record._id,
    1,
    { status: 'retrying', attemptCount: 1, nextAttemptAt: new Date(Date.now() + 1000) },
    now,
  );
  await store.deliveries.ensure(record);
  const stored = await store.deliveries.findById(record._id);
  expect(stored).toMatchObject({ status: 'retrying', attemptCount: 1 });
  await store.deliveries.recordStateChange(record._id, 1, { status: 'succeeded', nextAttemptAt: null }, now);
  expect((await store.deliveries.findById(record._id))?.nextAttemptAt).toBeUndefined();
  expect(await store.deliveries.findForTenant('other-tenant', record._id)).toBeNull();
});

test('an event body is stored once: a second serialization never replaces the first', async () => {
  const key = `t:${uniqueId('evt')}`;
  const now = new Date();
  await store.events.ensure(
    { _id: key, tenantId: 't', eventId: key.slice(2), event: 'document.created', documentId: 'd', occurredAt: now },
    now,
  );
  expect(await store.events.setBodyOnce(key, '{"first":true}', now)).toBe('{"first":true}');
  expect(await store.events.setBodyOnce(key, '{"second":true}', now)).toBe('{"first":true}');
  expect((await store.events.findByKey(key))?.body).toBe('{"first":true}');
});

test('webhooks are paged per tenant and event in ID order', async () => {
  const tenantId = uniqueId('tenant');
  const now = new Date();
  for (let i = 0; i < 5; i++) {
    await store.webhooks.insert({
      _id: `wh_${tenantId}_${i}`,
      tenantId,
      url: 'https://example.test/',
      event: 'document.created',
      auth: { type: 'none' },
      status: 'active',
      createdAt: now,
      updatedAt: now,
    });
  }
  const first = await store.webhooks.pageForEvent(tenantId, 'document.created', undefined, 3);
  const second = await store.webhooks.pageForEvent(tenantId, 'document.created', first[2]?._id, 3);
  expect([...first, ...second].map((w) => w._id)).toEqual([0, 1, 2, 3, 4].map((i) => `wh_${tenantId}_${i}`));
  expect(await store.webhooks.pageForEvent(uniqueId('other'), 'document.created', undefined, 10)).toEqual([]);
  expect(await store.webhooks.findForTenant('someone-else', `wh_${tenantId}_0`)).toBeNull();
});
