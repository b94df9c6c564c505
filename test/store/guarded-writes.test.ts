/**
 * Guarded writes: the condition as a filter on the server and as the check on a document read by `_id` pick
 * the same documents, and both modes keep the engine's guards on the real server: a claim written only by its holder, a
 * state never overwritten by an older attempt, a state change told from a repeat of the same write.
 */
import fc from 'fast-check';
import type { MongoClient } from 'mongodb';
import { createStore, type Store } from '../../src/store';
import { attemptId } from '../../src/store/delivery-repository';
import { guardHolds, guardModeOf, type GuardMode } from '../../src/store/guarded-writes';
import type { AttemptRecord, DeliveryRecord } from '../../src/store/model';
import { connectMongo, ensureIndexes } from '../../src/store/mongo';
import { uniqueId } from '../helpers/engine';
import { testEnv } from '../helpers/test-env';

describe('guardHolds, as a MongoDB filter decides', () => {
  test('equality, $ne, $lte and $exists, with missing fields and dates', () => {
    const doc = { state: 'sending', claimId: 'c1', attemptCount: 2, at: new Date(1000), streak: undefined };
    expect(guardHolds(doc, { state: 'sending', claimId: 'c1' })).toBe(true);
    expect(guardHolds(doc, { state: 'sending', claimId: 'c2' })).toBe(false);
    expect(guardHolds(doc, { attemptCount: { $lte: 2 } })).toBe(true);
    expect(guardHolds(doc, { attemptCount: { $lte: 1 } })).toBe(false);
    expect(guardHolds(doc, { missing: { $lte: 5 } })).toBe(false);
    expect(guardHolds(doc, { state: { $ne: 'done' } })).toBe(true);
    expect(guardHolds(doc, { state: { $ne: 'sending' } })).toBe(false);
    expect(guardHolds(doc, { missing: { $ne: 'x' } })).toBe(true);
    expect(guardHolds(doc, { streak: { $exists: true } })).toBe(false);
    expect(guardHolds(doc, { claimId: { $exists: true } })).toBe(true);
    expect(guardHolds(doc, { at: new Date(1000) })).toBe(true);
    expect(guardHolds(doc, { at: { $lte: new Date(999) } })).toBe(false);
    expect(guardHolds(doc, { missing: null })).toBe(true);
  });

  test('an operator it does not know is refused, not guessed', () => {
    expect(() => guardHolds({ a: 1 }, { a: { $gt: 0 } })).toThrow(/\$gt is not supported/);
  });

  test('$lte on numbers agrees with <=, and an absent count never matches', () => {
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
        fc.integer({ min: 0, max: 20 }),
        (count, bound) => {
          const doc = count === undefined ? {} : { attemptCount: count };
          expect(guardHolds(doc, { attemptCount: { $lte: bound } })).toBe(count !== undefined && count <= bound);
        },
      ),
    );
  });
});

let mongo: MongoClient;
const databases: string[] = [];
beforeAll(async () => {
  mongo = await connectMongo(testEnv().mongoUri);
});
afterAll(async () => {
  for (const name of databases)
    await mongo
      .db(name)
      .dropDatabase()
      .catch(() => undefined);
  await mongo.close();
});

test('the server and guardHolds pick the same documents for every guard the engine writes under', async () => {
  const name = uniqueId('guards');
  databases.push(name);
  const collection = mongo.db(name).collection<Record<string, unknown> & { _id: string }>('docs');
  const docs: (Record<string, unknown> & { _id: string })[] = [];
  for (const state of ['sending', 'done', undefined])
    for (const claimId of ['c1', 'c2', undefined])
      for (const attemptCount of [undefined, 0, 1, 2, 3])
        for (const status of ['pending', 'retrying', 'succeeded']) {
          const doc: Record<string, unknown> & { _id: string } = { _id: `d${docs.length}`, status };
          if (state !== undefined) doc.state = state;
          if (claimId !== undefined) doc.claimId = claimId;
          if (attemptCount !== undefined) doc.attemptCount = attemptCount;
          docs.push(doc);
        }
  await collection.insertMany(docs);
  const guards = [
    { state: 'sending', claimId: 'c1' },
    { state: 'sending' },
    ...[0, 1, 2, 3].map((n) => ({ attemptCount: { $lte: n } })),
    { attemptCount: { $lte: 2 }, status: { $ne: 'retrying' } },
    { status: { $ne: 'succeeded' } },
  ];
  for (const guard of guards) {
    const byServer = (await collection.find(guard).toArray()).map((d) => d._id).sort();
    const byCheck = docs
      .filter((d) => guardHolds(d, guard))
      .map((d) => d._id)
      .sort();
    expect([guard, byCheck]).toEqual([guard, byServer]);
  }
});

test('FerretDB is recognised from its buildInfo: it gets read-then-write', async () => {
  expect(await guardModeOf(mongo.db('admin'))).toBe('read-then-write');
});

describe.each<GuardMode>(['atomic', 'read-then-write'])('guarded writes in %s mode, on the real server', (mode) => {
  let store: Store;
  beforeAll(async () => {
    const name = uniqueId('guarded');
    databases.push(name);
    await ensureIndexes(mongo.db(name));
    store = createStore(mongo.db(name), { guardMode: mode });
  });

  const claim = (deliveryId: string, claimId: string): AttemptRecord => ({
    _id: attemptId(deliveryId, 1),
    deliveryId,
    tenantId: 't',
    webhookId: 'wh',
    attempt: 1,
    trigger: 'automatic',
    url: 'https://example.test/',
    state: 'sending',
    claimId,
    requestHeaders: {},
    delivered: false,
    durationMs: 0,
    startedAt: new Date(),
    createdAt: new Date(),
  });
  const outcome = { requestHeaders: {}, delivered: true, statusCode: 200, durationMs: 5, createdAt: new Date() };

  test('an attempt is completed only by the try holding its claim, once', async () => {
    const deliveryId = uniqueId('dlv');
    expect(await store.deliveries.claimAttempt(claim(deliveryId, 'mine'))).toBeNull();
    expect(await store.deliveries.completeAttempt(deliveryId, 1, 'theirs', outcome)).toBe(false);
    expect(await store.deliveries.completeAttempt(deliveryId, 1, 'mine', outcome)).toBe(true);
    expect(await store.deliveries.completeAttempt(deliveryId, 1, 'mine', outcome)).toBe(false);
    expect(await store.deliveries.interruptAttempt(deliveryId, 1, new Date())).toBe(false);
    expect(await store.deliveries.findAttempt(deliveryId, 1)).toMatchObject({ state: 'done', statusCode: 200 });
    expect(await store.deliveries.completeAttempt(uniqueId('none'), 1, 'mine', outcome)).toBe(false);
  });

  test('a claim is withdrawn only by its holder, and an open one is interrupted once', async () => {
    const deliveryId = uniqueId('dlv');
    await store.deliveries.claimAttempt(claim(deliveryId, 'mine'));
    await store.deliveries.withdrawAttempt(deliveryId, 1, 'theirs');
    expect(await store.deliveries.findAttempt(deliveryId, 1)).not.toBeNull();
    await store.deliveries.withdrawAttempt(deliveryId, 1, 'mine');
    expect(await store.deliveries.findAttempt(deliveryId, 1)).toBeNull();
    await store.deliveries.claimAttempt(claim(deliveryId, 'later'));
    expect(await store.deliveries.interruptAttempt(deliveryId, 1, new Date())).toBe(true);
    expect(await store.deliveries.interruptAttempt(deliveryId, 1, new Date())).toBe(false);
    expect(await store.deliveries.findAttempt(deliveryId, 1)).toMatchObject({
      state: 'done',
      errorClass: 'interrupted',
    });
  });

  test('a state is never overwritten by an older attempt, and a change is told from a repeat', async () => {
    const now = new Date();
    const record: DeliveryRecord = {
      _id: uniqueId('dlv'),
      tenantId: 't',
      webhookId: 'wh',
      eventKey: 't:e',
      eventId: 'e',
      event: 'document.approved',
      workflowId: 'w',
      status: 'pending',
      attemptCount: 0,
      createdAt: now,
      updatedAt: now,
    };
    await store.deliveries.ensure(record);
    const retrying = { status: 'retrying' as const, attemptCount: 2, nextAttemptAt: new Date(now.getTime() + 5000) };
    expect(await store.deliveries.recordStateChange(record._id, 2, retrying, now, 'pending')).toEqual({
      matched: true,
      statusChanged: true,
    });
    expect(await store.deliveries.recordStateChange(record._id, 2, retrying, now, 'pending')).toEqual({
      matched: true,
      statusChanged: false,
    });
    // Attempt 1's late write loses to attempt 2's.
    expect(
      (await store.deliveries.recordStateChange(record._id, 1, { status: 'failed', attemptCount: 1 }, now)).matched,
    ).toBe(false);
    expect(
      (
        await store.deliveries.recordStateChange(
          record._id,
          3,
          { status: 'succeeded', attemptCount: 3, nextAttemptAt: null },
          now,
        )
      ).matched,
    ).toBe(true);
    const stored = await store.deliveries.findById(record._id);
    expect(stored).toMatchObject({ status: 'succeeded', attemptCount: 3 });
    expect(stored?.nextAttemptAt).toBeUndefined();
  });
});
