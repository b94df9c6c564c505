/**
 * POST /v1/events takes an event in exactly once, with the document as it was: eventId required, conflicts
 * refused, the document read and the body stored before the 202, 404 for a missing document or tenant, 503
 * with Retry-After when the store or Temporal is out (and the platform's retry then succeeds once), and a
 * terminated event workflow started again by the same eventId.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { startWorker, type RunningWorker } from '../../src/bootstrap';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createStore } from '../../src/store';
import { connectMongo } from '../../src/store/mongo';
import { eventWorkflowId } from '../../src/workflows/ids';
import { startTestApi, type TestApi } from '../helpers/api';
import { eventually, startTestEngine, uniqueId, type TestEngine } from '../helpers/engine';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { hostPort, startTcpProxy } from '../helpers/tcp-proxy';

let t: TestEngine;
let api: TestApi;
let receiver: Receiver;
beforeAll(async () => {
  t = await startTestEngine();
  api = await startTestApi(t);
});
// The helper closes every receiver after each test.
beforeEach(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await api.close();
  await t.dispose();
});

interface ErrorBody {
  error: { code: string; message: string; details: { field: string; message: string }[] | null };
}

async function subscriber(event: 'document.processed' | 'document.approved' = 'document.processed') {
  const tenantId = uniqueId('tenant');
  const doc = await t.addDocument(tenantId);
  const url = `${receiver.url}/${uniqueId('hook')}`;
  await t.addWebhook({ tenantId, url, event });
  const path = new URL(url).pathname;
  return { tenantId, documentId: String(doc._id), path };
}

function publish(target: TestApi, body: Record<string, unknown>) {
  return target.call<{ eventId: string; workflowId: string } & ErrorBody>('POST', '/v1/events', {
    key: target.platformKey,
    body,
  });
}

const requestsTo = (path: string) => receiver.requests.filter((r) => r.path === path);

/** Waits until each path got a request, then a moment more: a second request would show up in that time. */
async function deliveredOnceEach(...paths: string[]): Promise<void> {
  await eventually(
    () => Promise.resolve(paths.every((p) => requestsTo(p).length > 0) ? true : undefined),
    30_000,
    'deliveries',
  );
  await new Promise((r) => setTimeout(r, 1_000));
  for (const path of paths) expect(requestsTo(path)).toHaveLength(1);
}

test('eventId is required, with a message that says what it is', async () => {
  const { tenantId, documentId } = await subscriber();
  const res = await publish(api, { tenantId, event: 'document.processed', documentId });
  expect(res.status).toBe(400);
  expect(res.body.error.details?.[0]?.field).toBe('body.eventId');
  const bad = await publish(api, { eventId: 'e', tenantId, event: 'document.exploded', documentId });
  expect(bad.status).toBe(400);
  expect(bad.body.error.details?.[0]?.field).toBe('body.event');
});

test('the same eventId with the same content is one event; with other content a 409 naming what differs', async () => {
  const { tenantId, documentId, path } = await subscriber();
  const eventId = uniqueId('evt');
  const occurredAt = new Date(Date.now() - 60_000).toISOString();
  const body = { eventId, tenantId, event: 'document.processed', documentId, occurredAt };
  const first = await publish(api, body);
  expect(first.status).toBe(202);
  const again = await publish(api, body);
  const withoutTimestamp = await publish(api, { eventId, tenantId, event: 'document.processed', documentId });
  expect([again.status, withoutTimestamp.status]).toEqual([202, 202]);
  expect(again.body).toEqual(first.body);
  expect(withoutTimestamp.body).toEqual(first.body);

  const otherType = await publish(api, { ...body, event: 'document.approved' });
  expect(otherType.status).toBe(409);
  expect(otherType.body.error.code).toBe('event_conflict');
  expect(otherType.body.error.details).toEqual([{ field: 'body.event', message: 'was document.processed' }]);
  const otherDoc = await publish(api, { ...body, documentId: String((await t.addDocument(tenantId))._id) });
  expect(otherDoc.status).toBe(409);
  expect(otherDoc.body.error.details?.map((d) => d.field)).toEqual(['body.documentId']);
  const otherTime = await publish(api, { ...body, occurredAt: new Date().toISOString() });
  expect(otherTime.status).toBe(409);
  expect(otherTime.body.error.message).toMatch(/occurredAt/);

  await deliveredOnceEach(path);
  const stored = await t.store.events.findForTenant(tenantId, eventId);
  expect(stored?.event).toBe('document.processed');
});

test('a missing document, another tenant’s document or an unknown tenant is a 404, and nothing is stored or started', async () => {
  const a = await subscriber();
  const b = await subscriber();
  const cases = [
    { tenantId: a.tenantId, documentId: '65f0c1a2b3c4d5e6f7a8b9c0', code: 'document_not_found' },
    { tenantId: a.tenantId, documentId: b.documentId, code: 'document_not_found' },
    { tenantId: uniqueId('no-such-tenant'), documentId: a.documentId, code: 'tenant_not_found' },
  ];
  for (const c of cases) {
    const eventId = uniqueId('evt');
    const res = await publish(api, {
      eventId,
      tenantId: c.tenantId,
      event: 'document.processed',
      documentId: c.documentId,
    });
    expect([res.status, res.body.error.code]).toEqual([404, c.code]);
    expect(await t.store.events.findForTenant(c.tenantId, eventId)).toBeNull();
    await expect(t.temporal.workflow.getHandle(eventWorkflowId(c.tenantId, eventId)).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
  }
});

test('the delivery carries the document as it was when the event was published', async () => {
  // An API on a task queue no worker polls yet: the event waits, as it would under load, while the document
  // changes; then a worker starts and delivers.
  const queue = uniqueId('tq-later');
  const lateApi = await startTestApi(t, { env: { TEMPORAL_TASK_QUEUE: queue } });
  let worker: RunningWorker | undefined;
  try {
    const { tenantId, documentId, path } = await subscriber();
    const res = await publish(lateApi, { eventId: uniqueId('evt'), tenantId, event: 'document.processed', documentId });
    expect(res.status).toBe(202);
    await t.db.collection('documents').updateOne({ tenantId }, { $set: { status: 'APPROVED_LATER' } });
    worker = await startWorker({
      config: loadConfig({ ...t.configEnv, TEMPORAL_TASK_QUEUE: queue }),
      addresses: t.addresses,
      store: t.store,
      logger: createLogger({ level: 'silent' }),
    });
    await deliveredOnceEach(path);
    const delivered = JSON.parse(requestsTo(path)[0]?.rawBody ?? '{}') as { doc: { _id: string; status: string } };
    expect(delivered.doc._id).toBe(documentId);
    expect(delivered.doc.status).toBe('ANALYZED');
  } finally {
    await worker?.shutdown();
    await lateApi.close();
  }
});

test('a terminated event workflow is started again by publishing the same eventId; each webhook gets it once', async () => {
  const queue = uniqueId('tq-later');
  const lateApi = await startTestApi(t, { env: { TEMPORAL_TASK_QUEUE: queue } });
  let worker: RunningWorker | undefined;
  try {
    const { tenantId, documentId, path } = await subscriber();
    const body = { eventId: uniqueId('evt'), tenantId, event: 'document.processed', documentId };
    const first = await publish(lateApi, body);
    expect(first.status).toBe(202);
    await t.temporal.workflow.getHandle(first.body.workflowId).terminate('operator terminated it by hand');
    const again = await publish(lateApi, body);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect((await t.temporal.workflow.getHandle(first.body.workflowId).describe()).status.name).toBe('RUNNING');
    worker = await startWorker({
      config: loadConfig({ ...t.configEnv, TEMPORAL_TASK_QUEUE: queue }),
      addresses: t.addresses,
      store: t.store,
      logger: createLogger({ level: 'silent' }),
    });
    await deliveredOnceEach(path);
  } finally {
    await worker?.shutdown();
    await lateApi.close();
  }
});

test('a store or Temporal outage during publish is a 503 with Retry-After, and the retry is taken exactly once', async () => {
  const temporalProxy = await startTcpProxy(hostPort(t.addresses.temporalAddress));
  const storeProxy = await startTcpProxy(hostPort(t.addresses.mongoUri));
  const mongo = await connectMongo(`mongodb://${storeProxy.address}/?directConnection=true`, {
    serverSelectionTimeoutMs: 1_000,
  });
  const outageApi = await startTestApi(t, {
    env: { EVENT_PUBLISH_TIMEOUT_MS: '2000' },
    addresses: { temporalAddress: temporalProxy.address, mongoUri: storeProxy.address },
    store: createStore(mongo.db(t.config.MONGODB_DB)),
  });
  try {
    // The store is out before anything is written: 503, nothing stored.
    const s = await subscriber();
    const storeBody = {
      eventId: uniqueId('evt'),
      tenantId: s.tenantId,
      event: 'document.processed',
      documentId: s.documentId,
    };
    storeProxy.down();
    const duringStoreOutage = await publish(outageApi, storeBody);
    expect([duringStoreOutage.status, duringStoreOutage.body.error.code]).toEqual([503, 'unavailable']);
    expect(Number(duringStoreOutage.headers.get('retry-after'))).toBeGreaterThan(0);
    storeProxy.up();
    expect(await t.store.events.findForTenant(s.tenantId, storeBody.eventId)).toBeNull();
    expect((await eventuallyAccepted(outageApi, storeBody)).status).toBe(202);

    // Temporal is out after the body is stored: 503; the stored event is taken by the retry, once.
    const m = await subscriber();
    const temporalBody = {
      eventId: uniqueId('evt'),
      tenantId: m.tenantId,
      event: 'document.processed',
      documentId: m.documentId,
    };
    temporalProxy.down();
    const duringTemporalOutage = await publish(outageApi, temporalBody);
    expect([duringTemporalOutage.status, duringTemporalOutage.body.error.code]).toEqual([503, 'unavailable']);
    expect(duringTemporalOutage.headers.get('retry-after')).toBeTruthy();
    expect((await t.store.events.findForTenant(m.tenantId, temporalBody.eventId))?.body).toContain(m.documentId);
    await expect(
      t.temporal.workflow.getHandle(eventWorkflowId(m.tenantId, temporalBody.eventId)).describe(),
    ).rejects.toBeInstanceOf(WorkflowNotFoundError);
    temporalProxy.up();
    expect((await eventuallyAccepted(outageApi, temporalBody)).status).toBe(202);

    await deliveredOnceEach(s.path, m.path);
  } finally {
    await outageApi.close();
    await mongo.close();
    await Promise.all([temporalProxy.close(), storeProxy.close()]);
  }
});

/** The platform's retry loop: the same request until it is no longer a 503. */
async function eventuallyAccepted(target: TestApi, body: Record<string, unknown>) {
  return eventually(
    async () => {
      const res = await publish(target, body);
      return res.status === 503 ? undefined : res;
    },
    30_000,
    'the retried publish to be accepted',
  );
}
