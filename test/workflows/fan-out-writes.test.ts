/**
 * The event workflow's page writes on the real servers: a page write slowed past its timeout (the worker's
 * store held by a proxy that reads the wire protocol) is not retried over itself, and a page written twice
 * (a dispatch that ran again) inserts nothing twice and leaves every delivery as it was.
 */
import { createLogger } from '../../src/logger';
import type { platformEventWorkflow } from '../../src/workflows';
import { eventWorkflowId } from '../../src/workflows/ids';
import { TenantIdKey, EventTypeKey } from '../../src/workflows/search-attribute-keys';
import { eventually, startTestEngine, uniqueId, type TestEngine } from '../helpers/engine';
import { startMongoWireProxy, type MongoWireProxy } from '../helpers/mongo-wire-proxy';
import { startReceiver } from '../helpers/receiver';
import { testEnv } from '../helpers/test-env';

let proxy: MongoWireProxy;
let t: TestEngine;
const lines: string[] = [];
beforeAll(async () => {
  proxy = await startMongoWireProxy(testEnv().mongoUri);
  t = await startTestEngine({
    workerMongoUri: proxy.uri,
    logger: createLogger({ level: 'warn' }, { write: (line: string) => void lines.push(line) }),
  });
});
afterAll(async () => {
  proxy.release();
  await t.dispose();
  await proxy.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const deliveryInserts = () =>
  proxy.commands.filter((c) => c.name === 'insert' && c.collection === 'deliveries').map((c) => c.documents);

test('a page write held past its timeout is waited for by its retry, never written over', async () => {
  const receiver = await startReceiver();
  const tenantId = uniqueId('tenant');
  const doc = await t.addDocument(tenantId);
  const webhooks = [];
  for (let i = 0; i < 3; i++) {
    webhooks.push(await t.addWebhook({ tenantId, url: `${receiver.url}/w${i}`, event: 'document.approved' }));
  }
  const before = deliveryInserts().length;
  proxy.hold((c) => c.name === 'insert' && c.collection === 'deliveries');

  const eventId = uniqueId('evt');
  const handle = await t.temporal.workflow.start<typeof platformEventWorkflow>('platformEventWorkflow', {
    taskQueue: t.taskQueue,
    workflowId: eventWorkflowId(tenantId, eventId),
    args: [
      {
        tenantId,
        eventId,
        event: 'document.approved',
        documentId: String(doc._id),
        occurredAt: new Date().toISOString(),
        dispatchTimeoutMs: 1_000,
      },
    ],
    typedSearchAttributes: [
      { key: TenantIdKey, value: tenantId },
      { key: EventTypeKey, value: 'document.approved' },
    ],
  });
  await eventually(
    () => Promise.resolve(proxy.held().length > 0 ? true : undefined),
    15_000,
    'the page write to be held',
  );
  // Past the 1 s timeout several times over (retries back off 1 s, then 2 s): tries 2 and 3 have started.
  await sleep(6_000);
  expect(deliveryInserts().slice(before)).toEqual([3]);
  expect(lines.filter((l) => l.includes('still runs: waiting for it')).length).toBeGreaterThanOrEqual(2);

  proxy.release();
  expect(await handle.result()).toEqual({ status: 'dispatched', deliveriesStarted: 3, deliveriesSkipped: 0 });
  await receiver.waitForRequests(3, 30_000);
  const records = await eventually(async () => {
    const list = await t.store.deliveries.listForEvent(`${tenantId}:${eventId}`);
    return list.length === 3 && list.every((d) => d.status === 'succeeded') ? list : undefined;
  });
  expect(records.map((d) => d.webhookId).sort()).toEqual(webhooks.map((w) => w._id).sort());
  // A try that was backing off when try 1 finished may write the page again, after it: all duplicate keys.
  await sleep(1_000);
  expect(receiver.requests).toHaveLength(3);
  await receiver.close();
});

test('a page inserted again inserts nothing new and changes no delivery (a dispatch that ran twice)', async () => {
  const tenantId = uniqueId('tenant');
  const now = new Date();
  const record = (i: number) => ({
    _id: `dl_${tenantId}_${i}`,
    tenantId,
    webhookId: `wh_${i}`,
    eventKey: `${tenantId}:evt`,
    eventId: 'evt',
    event: 'document.approved' as const,
    workflowId: `delivery:wh_${i}:evt`,
    status: 'pending' as const,
    attemptCount: 0,
    createdAt: now,
    updatedAt: now,
  });
  const first = Array.from({ length: 120 }, (_, i) => record(i));
  expect(await t.store.deliveries.insertAbsent(first.slice(0, 70))).toBe(70);
  await t.store.deliveries.recordStateChange(first[0]._id, 1, { status: 'succeeded', attemptCount: 1 }, new Date());
  // 70 exist (one of them progressed), 50 are new: a page of 120 written in batches of 50.
  expect(await t.store.deliveries.insertAbsent(first)).toBe(50);
  const stored = await t.store.deliveries.listForEvent(`${tenantId}:evt`);
  expect(stored).toHaveLength(120);
  expect(stored.find((d) => d._id === first[0]._id)).toMatchObject({ status: 'succeeded', attemptCount: 1 });
  expect(await t.store.deliveries.insertAbsent(first)).toBe(0);
});
