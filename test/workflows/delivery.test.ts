/**
 * Deliveries end to end on the real servers: every event, every auth mode, signatures checked by the product
 * page's own receiver code.
 */
import crypto from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { PLATFORM_EVENTS } from '../../src/store/model';
import { eventually, startTestEngine, uniqueId, type TestEngine } from '../helpers/engine';
import { closeServer, listenHttps, startReceiver } from '../helpers/receiver';

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine();
});
afterAll(async () => {
  await t.dispose();
});

test('each of the five platform events reaches the webhook subscribed to it, and only that one', async () => {
  const receiver = await startReceiver();
  const tenantId = uniqueId('tenant');
  const hooks = await Promise.all(
    PLATFORM_EVENTS.map((event) => t.addWebhook({ tenantId, url: `${receiver.url}?event=${event}`, event })),
  );
  const doc = await t.addDocument(tenantId);
  for (const event of PLATFORM_EVENTS)
    await t.engine.publishEvent({ eventId: uniqueId('evt'), tenantId, event, documentId: String(doc._id) });

  const requests = await receiver.waitForRequests(PLATFORM_EVENTS.length);
  for (const event of PLATFORM_EVENTS) {
    const matching = requests.filter((r) => r.headers['x-docflo-event'] === event);
    expect(matching).toHaveLength(1);
    const [req] = matching;
    expect(req?.path).toBe(`/hooks?event=${event}`);
    expect(req?.method).toBe('POST');
    const body = JSON.parse(req?.rawBody ?? '') as Record<string, unknown>;
    expect(body.event).toBe(event);
    expect(body.tenantId).toBe(tenantId);
  }
  expect(hooks).toHaveLength(5);
  await new Promise((r) => setTimeout(r, 300));
  expect(receiver.requests).toHaveLength(5);
  await receiver.close();
});

test('the payload is {event, tenantId, timestamp, doc} with the full stored document', async () => {
  const receiver = await startReceiver();
  const tenantId = uniqueId('tenant');
  await t.addWebhook({ tenantId, url: receiver.url, event: 'document.processed' });
  const doc = await t.addDocument(tenantId);
  const occurredAt = '2025-03-10T17:53:46.000Z';
  await t.engine.publishEvent({
    eventId: uniqueId('evt'),
    tenantId,
    event: 'document.processed',
    documentId: String(doc._id),
    occurredAt,
  });

  const [req] = await receiver.waitForRequests(1);
  const body = JSON.parse(req?.rawBody ?? '') as Record<string, unknown>;
  expect(Object.keys(body)).toEqual(['event', 'tenantId', 'timestamp', 'doc']);
  expect(body).toEqual({
    event: 'document.processed',
    tenantId,
    timestamp: occurredAt,
    doc: {
      _id: String(doc._id),
      tenantId,
      type: 'invoice',
      status: 'ANALYZED',
      createdAt: '2025-03-10T17:50:00.000Z',
      updatedAt: '2025-03-10T17:53:46.000Z',
      fields: doc.fields,
    },
  });
  expect(req?.headers['content-type']).toBe('application/json');
  expect(req?.headers['user-agent']).toMatch(/^Docflo-Webhooks\//);
  expect(req?.headers['x-docflo-delivery']).toMatch(/^dlv_/);
  await receiver.close();
});

test.each([
  ['none', { type: 'none' as const }, (h: Record<string, string>) => expect(h.authorization).toBeUndefined()],
  [
    'basic',
    { type: 'basic' as const, username: 'docflo', password: 'pa:ss' },
    (h: Record<string, string>) =>
      expect(h.authorization).toBe(`Basic ${Buffer.from('docflo:pa:ss').toString('base64')}`),
  ],
  [
    'bearer',
    { type: 'bearer' as const, token: 'tok-123' },
    (h: Record<string, string>) => expect(h.authorization).toBe('Bearer tok-123'),
  ],
  [
    'apiKey',
    { type: 'apiKey' as const, headerName: 'x-api-key', key: 'key-456' },
    (h: Record<string, string>) => {
      expect(h['x-api-key']).toBe('key-456');
      expect(h.authorization).toBeUndefined();
    },
  ],
  [
    'apiKey with a custom header name',
    { type: 'apiKey' as const, headerName: 'X-Receiver-Token', key: 'key-789' },
    (h: Record<string, string>) => expect(h['x-receiver-token']).toBe('key-789'),
  ],
])('auth mode %s sends the right header, and the stored attempt has it redacted', async (_name, auth, check) => {
  const receiver = await startReceiver();
  const tenantId = uniqueId('tenant');
  await t.addWebhook({ tenantId, url: receiver.url, event: 'document.created', auth });
  const doc = await t.addDocument(tenantId);
  const { eventId } = await t.engine.publishEvent({
    eventId: uniqueId('evt'),
    tenantId,
    event: 'document.created',
    documentId: String(doc._id),
  });
  const [req] = await receiver.waitForRequests(1);
  check(req?.headers ?? {});

  const [delivery] = await t.store.deliveries.listForEvent(`${tenantId}:${eventId}`);
  const attempts = await eventually(async () => {
    const list = await t.store.deliveries.listAttempts(delivery?._id ?? '');
    return list.length > 0 ? list : undefined;
  });
  const stored = JSON.stringify(attempts[0]?.requestHeaders);
  for (const secret of ['pa:ss', 'tok-123', 'key-456', 'key-789']) expect(stored).not.toContain(secret);
  await receiver.close();
});

test("the product page's Express receiver verifies our signature unchanged, and so does an HMAC over the raw body", async () => {
  const SIGNING_SECRET = 'whsec_product_page_example';
  const verdicts: { viaProductPage: boolean; viaRawBody: boolean }[] = [];

  // The product page's middleware, as written there.
  function verifySignature(req: Request, res: Response, next: NextFunction): Response | void {
    const signature = req.headers['x-docflo-signature'] as string;
    if (SIGNING_SECRET && signature) {
      const expectedSignature =
        'sha256=' + crypto.createHmac('sha256', SIGNING_SECRET).update(JSON.stringify(req.body)).digest('hex');
      if (!crypto.timingSafeEqual(Buffer.from(signature), Buffer.from(expectedSignature))) {
        return res.status(401).json({ error: 'Invalid signature' });
      }
    }
    next();
  }
  const app = express();
  app.use(
    express.json({
      verify: (req, _res, raw) => {
        const signature = req.headers['x-docflo-signature'] as string;
        const expected = 'sha256=' + crypto.createHmac('sha256', SIGNING_SECRET).update(raw).digest('hex');
        verdicts.push({ viaProductPage: false, viaRawBody: signature === expected });
      },
    }),
  );
  app.post('/webhooks/docflo', verifySignature, (req, res) => {
    const last = verdicts[verdicts.length - 1];
    if (last) last.viaProductPage = true;
    const { event, doc } = req.body as { event: string; doc: { _id: string } };
    expect(event).toBe('document.approved');
    expect(typeof doc._id).toBe('string');
    res.status(200).json({ received: true });
  });
  const { url, server } = await listenHttps(app);

  const tenantId = uniqueId('tenant');
  await t.addWebhook({
    tenantId,
    url: `${url}/webhooks/docflo`,
    event: 'document.approved',
    signingSecret: SIGNING_SECRET,
  });
  const doc = await t.addDocument(tenantId, { fields: { Note: 'Zürich – "quoted" ✓', Amount: 1500.0, Ratio: 0.1 } });
  const { eventId } = await t.engine.publishEvent({
    eventId: uniqueId('evt'),
    tenantId,
    event: 'document.approved',
    documentId: String(doc._id),
  });

  const [delivery] = await eventually(async () => {
    const list = await t.store.deliveries.listForEvent(`${tenantId}:${eventId}`);
    return list[0]?.status === 'succeeded' ? list : undefined;
  });
  expect(delivery?.attemptCount).toBe(1);
  expect(verdicts).toEqual([{ viaProductPage: true, viaRawBody: true }]);
  await closeServer(server);
});

test('a delivery that succeeds at once takes one workflow task and one local activity: its first attempt writes the record the workflow prepared, and the Web UI shows it succeeded', async () => {
  const receiver = await startReceiver();
  const tenantId = uniqueId('tenant');
  await t.addWebhook({ tenantId, url: receiver.url, event: 'document.approved' });
  const doc = await t.addDocument(tenantId);
  const eventId = uniqueId('evt');
  await t.engine.publishEvent({ eventId, tenantId, event: 'document.approved', documentId: String(doc._id) });
  const delivery = await eventually(async () => {
    const [d] = await t.store.deliveries.listForEvent(`${tenantId}:${eventId}`);
    return d?.status === 'succeeded' ? d : undefined;
  });
  expect(delivery).toMatchObject({ attemptCount: 1, lastStatusCode: 200, lastError: '' });
  const [attempt] = await t.store.deliveries.listAttempts(delivery._id);
  // The record's time is the attempt's own (when its answer came back), as the attempt record has it.
  expect(delivery.lastAttemptAt).toEqual(attempt?.createdAt);
  const handle = t.temporal.workflow.getHandle(delivery.workflowId);
  await handle.result();
  const events = (await handle.fetchHistory()).events ?? [];
  const markers = events.flatMap((e) => (e.markerRecordedEventAttributes ? [e.markerRecordedEventAttributes] : []));
  expect({
    workflowTasks: events.filter((e) => e.workflowTaskCompletedEventAttributes).length,
    activityTasks: events.filter((e) => e.activityTaskScheduledEventAttributes).length,
    localActivities: markers.filter((m) => m.markerName === 'core_local_activity').length,
    patches: markers.filter((m) => m.markerName === 'core_patch').length,
  }).toEqual({ workflowTasks: 1, activityTasks: 0, localActivities: 1, patches: 0 });
  const described = await handle.describe();
  expect(described.searchAttributes.DeliveryStatus).toEqual(['succeeded']);
  expect(receiver.requests).toHaveLength(1);
  await receiver.close();
});
