/** Failed attempts on the real servers: retried on the schedule, recorded once each, visible to operators. */
import { eventually, startTestEngine, uniqueId, type TestEngine } from '../helpers/engine';
import { startReceiver, type Receiver } from '../helpers/receiver';
import type { DeliveryRecord } from '../../src/store/model';

const TIMEOUT_MS = 1_500;
let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine({ timeoutMs: TIMEOUT_MS, retrySchedule: [1, 1] });
});
afterAll(async () => {
  await t.dispose();
});

async function publishTo(receiver: Receiver, options: { retrySchedule?: number[] } = {}) {
  const tenantId = uniqueId('tenant');
  const webhook = await t.addWebhook({ tenantId, url: receiver.url, event: 'document.processed', ...options });
  const doc = await t.addDocument(tenantId);
  const published = await t.engine.publishEvent({
    eventId: uniqueId('evt'),
    tenantId,
    event: 'document.processed',
    documentId: String(doc._id),
  });
  const delivery = await eventually(
    async () => (await t.store.deliveries.listForEvent(`${tenantId}:${published.eventId}`))[0],
  );
  return { tenantId, webhook, delivery, ...published };
}

async function deliveryIn(
  id: string,
  statuses: DeliveryRecord['status'][],
  timeoutMs = 30_000,
): Promise<DeliveryRecord> {
  return eventually(
    async () => {
      const d = await t.store.deliveries.findById(id);
      return d && statuses.includes(d.status) ? d : undefined;
    },
    timeoutMs,
    `delivery ${id} to be ${statuses.join('|')}`,
  );
}

test('when the endpoint answers 503 and then 200, the delivery succeeds on the second attempt and both are recorded', async () => {
  const receiver = await startReceiver((_req, i) =>
    i === 0 ? { status: 503, body: 'busy' } : { status: 200, body: 'thanks' },
  );
  const { delivery } = await publishTo(receiver);
  const done = await deliveryIn(delivery._id, ['succeeded']);
  expect(done.attemptCount).toBe(2);

  const attempts = await t.store.deliveries.listAttempts(delivery._id);
  expect(attempts.map((a) => [a.attempt, a.trigger, a.statusCode, a.delivered])).toEqual([
    [1, 'automatic', 503, false],
    [2, 'automatic', 200, true],
  ]);
  expect(attempts[0]?.responseBody).toBe('busy');
  expect(attempts[0]?.error).toBe('HTTP 503');
  expect(attempts[1]?.responseBody).toBe('thanks');
  // Same delivery ID on every attempt, so receivers can de-duplicate; at least the scheduled 1 s between them.
  const [first, second] = receiver.requests;
  expect(first?.headers['x-docflo-delivery']).toBe(delivery._id);
  expect(second?.headers['x-docflo-delivery']).toBe(delivery._id);
  expect(first?.rawBody).toBe(second?.rawBody);
  expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(1_000);
  await receiver.close();
});

test('a 4xx is retried too, and after the last scheduled attempt the delivery is failed', async () => {
  const receiver = await startReceiver(() => ({ status: 404 }));
  const { delivery, workflowId } = await publishTo(receiver);
  const failed = await deliveryIn(delivery._id, ['failed']);
  expect(failed.attemptCount).toBe(3);
  expect(failed.lastStatusCode).toBe(404);
  expect(receiver.requests).toHaveLength(3);
  const attempts = await t.store.deliveries.listAttempts(delivery._id);
  expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
  const result = (await t.temporal.workflow
    .getHandle(`delivery:${delivery.webhookId}:${delivery.eventId}`)
    .result()) as {
    status: string;
  };
  expect(result.status).toBe('failed');
  expect(workflowId).toMatch(/^event:/);
  await receiver.close();
});

test('a receiver slower than the timeout is a failed attempt, retried no sooner than 60 s later', async () => {
  const receiver = await startReceiver(() => ({ status: 200, delayMs: TIMEOUT_MS + 2_000 }));
  const { delivery } = await publishTo(receiver);
  const retrying = await deliveryIn(delivery._id, ['retrying']);
  const [attempt] = await t.store.deliveries.listAttempts(delivery._id);
  expect(attempt).toMatchObject({ attempt: 1, delivered: false, errorClass: 'timeout' });
  expect(attempt?.durationMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
  expect(attempt?.durationMs).toBeLessThan(TIMEOUT_MS + 1_500);
  expect((retrying.nextAttemptAt?.getTime() ?? 0) - (attempt?.startedAt.getTime() ?? 0)).toBeGreaterThanOrEqual(60_000);
  await t.temporal.workflow.getHandle(`delivery:${delivery.webhookId}:${delivery.eventId}`).terminate('test done');
  await receiver.close();
});

test('a redirect is not followed: the attempt fails and names the location', async () => {
  const target = await startReceiver();
  const receiver = await startReceiver(() => ({ status: 307, headers: { location: target.url } }));
  const { delivery } = await publishTo(receiver, { retrySchedule: [] });
  await deliveryIn(delivery._id, ['failed']);
  const [attempt] = await t.store.deliveries.listAttempts(delivery._id);
  expect(attempt).toMatchObject({ statusCode: 307, errorClass: 'redirect', delivered: false });
  expect(attempt?.error).toContain(target.url);
  expect(target.requests).toHaveLength(0);
  await Promise.all([target.close(), receiver.close()]);
});

test('a connection refused is a failed attempt with its reason', async () => {
  const receiver = await startReceiver();
  await receiver.close();
  const { delivery } = await publishTo(receiver, { retrySchedule: [] });
  const failed = await deliveryIn(delivery._id, ['failed']);
  expect(failed.lastError).toMatch(/ECONNREFUSED/);
  const [attempt] = await t.store.deliveries.listAttempts(delivery._id);
  expect(attempt?.errorClass).toBe('connection');
});

test('the response body is stored capped at 16 KiB', async () => {
  const receiver = await startReceiver(() => ({ status: 500, body: 'x'.repeat(100_000) }));
  const { delivery } = await publishTo(receiver, { retrySchedule: [] });
  await deliveryIn(delivery._id, ['failed']);
  const [attempt] = await t.store.deliveries.listAttempts(delivery._id);
  expect(attempt?.responseBody).toHaveLength(16 * 1024);
  expect(attempt?.responseBodyTruncated).toBe(true);
  await receiver.close();
});

test('a webhook without a signing secret gets no signature header', async () => {
  const receiver = await startReceiver();
  await publishTo(receiver);
  const [req] = await receiver.waitForRequests(1);
  expect(req?.headers['x-docflo-signature']).toBeUndefined();
  await receiver.close();
});

test('operators find a retrying delivery in Temporal with DeliveryStatus="retrying", with its attempt count', async () => {
  const receiver = await startReceiver(() => ({ status: 500 }));
  const { delivery, webhook, tenantId } = await publishTo(receiver, { retrySchedule: [600] });
  await deliveryIn(delivery._id, ['retrying']);
  const workflowId = `delivery:${webhook._id}:${delivery.eventId}`;
  const found = await eventually(
    async () => {
      for await (const wf of t.temporal.workflow.list({
        query: `DeliveryStatus="retrying" AND WebhookId="${webhook._id}" AND TenantId="${tenantId}"`,
      })) {
        return wf;
      }
      return undefined;
    },
    20_000,
    'the visibility query to list the delivery',
  );
  expect(found.workflowId).toBe(workflowId);
  expect(found.searchAttributes.AttemptCount).toEqual([1]);
  expect(found.searchAttributes.EventType).toEqual(['document.processed']);
  const nextAttemptAt = found.searchAttributes.NextAttemptAt as Date[] | string[];
  expect(new Date(nextAttemptAt[0] as string).getTime()).toBeGreaterThan(Date.now() + 500_000);
  await t.temporal.workflow.getHandle(workflowId).terminate('test done');
  await receiver.close();
});

test('a send to a blocked address is a failed attempt that says why, and is not retried', async () => {
  const net = await import('node:net');
  let connections = 0;
  const listener = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.2', resolve));
  const { port } = listener.address() as import('node:net').AddressInfo;
  // Inserted straight into the store: the API would refuse this URL at creation.
  const { delivery } = await publishTo({ url: `https://127.0.0.2:${port}/hooks` } as Receiver, {
    retrySchedule: [1, 1],
  });
  const failed = await deliveryIn(delivery._id, ['failed']);
  expect(failed.attemptCount).toBe(1);
  expect(failed.lastError).toMatch(/^blocked: 127\.0\.0\.2 is a loopback address/);
  const [attempt] = await t.store.deliveries.listAttempts(delivery._id);
  expect(attempt?.errorClass).toBe('blocked');
  expect(connections).toBe(0);
  await new Promise((r) => listener.close(r));
});
