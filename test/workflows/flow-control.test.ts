/**
 * Flow control per endpoint on the real servers: a rate limit, a cap on attempts in flight and ordering by
 * document, each applied by the webhook's gate workflow (src/delivery/gate.ts) to every automatic attempt.
 */
import { startTestEngine, uniqueId, eventually, type TestEngine, type TestWebhookInput } from '../helpers/engine';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { pacedTaskQueue } from '../../src/workflows/ids';
import { startTimingReceiver, type TimingReceiver } from '../helpers/timing-receiver';

let t: TestEngine;
const receivers: Receiver[] = [];
const timingReceivers: TimingReceiver[] = [];
beforeAll(async () => {
  t = await startTestEngine({ retrySchedule: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], retryPolicy: { jitter: 0 } });
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  timingReceivers.forEach((r) => r.close());
  await t.dispose();
});

async function receiver(reply?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(reply);
  receivers.push(r);
  return r;
}

/** Publishes one event per entry (`concurrency` at a time), in order within each worker of the pool. */
async function publishAll(tenantId: string, docs: string[], concurrency: number): Promise<string[]> {
  const ids = docs.map(() => uniqueId('evt'));
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < docs.length; i = next++) {
      await t.engine.publishEvent({
        eventId: ids[i] ?? '',
        tenantId,
        event: 'document.status_changed',
        documentId: docs[i] ?? '',
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return ids;
}

/** The most arrivals in any one-second window (sliding, from each arrival), and the window's first arrival. */
function busiestSecond(times: number[]): { most: number; from: number } {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let from = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    while ((sorted[j] ?? Infinity) <= (sorted[i] ?? 0) - 1000) j++;
    if (i - j + 1 > most) [most, from] = [i - j + 1, sorted[j] ?? 0];
  }
  return { most, from };
}

async function webhookWith(tenantId: string, url: string, flow: TestWebhookInput['flow']) {
  return t.addWebhook({ tenantId, url, event: 'document.status_changed', flow });
}

test('600 deliveries to an endpoint limited to 10/s: never more than 11 in a second, and all arrive', async () => {
  // Timed in a process of its own: this process's event loop also runs the worker's activities.
  const r = await startTimingReceiver();
  timingReceivers.push(r);
  const tenantId = uniqueId('tenant');
  await webhookWith(tenantId, r.url, { rateLimit: { perSecond: 10, burst: 1 } });
  const doc = String((await t.addDocument(tenantId))._id);
  const started = Date.now();
  await publishAll(
    tenantId,
    Array.from({ length: 600 }, () => doc),
    20,
  );
  const publishedAt = Date.now();
  const all = await r.waitFor(600, 300_000);
  expect(new Set(all.map((a) => a.delivery)).size).toBe(600);
  const times = all.map((a) => a.at);
  const busiest = busiestSecond(times);
  console.log(
    `rate: published in ${publishedAt - started} ms, all arrived after ${Date.now() - started} ms, busiest second ${busiest.most}: ` +
      `gaps (ms) ${times
        .filter((at) => at >= busiest.from && at < busiest.from + 1000)
        .sort((a, b) => a - b)
        .map((at, i, a) => at - (a[i - 1] ?? at))
        .join(' ')}`,
  );
  expect(busiest.most).toBeLessThanOrEqual(11);
  // Spread over a minute at least: 599 gaps of 100 ms.
  expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(59_000);
  // The limit held a backlog back: the last arrived well after the last was published.
  expect(Math.max(...times) - publishedAt).toBeGreaterThan(10_000);
  // A gate with a rate only keeps no count of its permits: a delivery signals nothing back to it.
  const [delivery] = await t.store.deliveries.listForTenant(tenantId, {}, 1);
  const history = await t.temporal.workflow.getHandle(delivery?.workflowId ?? '').fetchHistory();
  const events = history.events ?? [];
  expect(events.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'permit')).toBe(true);
  expect(events.filter((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes)).toEqual([]);
}, 400_000);

test('maxInFlight 2 with a slow receiver: never a third request open, and all arrive', async () => {
  let open = 0;
  let most = 0;
  const r = await receiver(() => {
    open++;
    most = Math.max(most, open);
    setTimeout(() => open--, 800).unref();
    return { status: 200, delayMs: 800 };
  });
  const tenantId = uniqueId('tenant');
  await webhookWith(tenantId, r.url, { maxInFlight: 2 });
  const doc = String((await t.addDocument(tenantId))._id);
  await publishAll(
    tenantId,
    Array.from({ length: 12 }, () => doc),
    12,
  );
  await r.waitForRequests(12, 120_000);
  expect(most).toBe(2);
  // Each attempt went under its permit on the paced task queue, not on the engine's own.
  const [delivery] = await t.store.deliveries.listForTenant(tenantId, {}, 1);
  const history = await t.temporal.workflow.getHandle(delivery?.workflowId ?? '').fetchHistory();
  const queues = (history.events ?? []).flatMap((e) => e.activityTaskScheduledEventAttributes?.taskQueue?.name ?? []);
  expect(queues).toEqual([pacedTaskQueue(t.taskQueue)]);
}, 180_000);

test('ordering: document: each document in publish order through 503s and retries; documents interleave', async () => {
  let index = 0;
  // Every third answer is a 503 (no Retry-After: no endpoint-wide hold), so deliveries retry.
  const r = await receiver(() => (index++ % 3 === 1 ? { status: 503 } : { status: 200 }));
  const tenantId = uniqueId('tenant');
  const webhook = await webhookWith(tenantId, r.url, { ordering: 'document' });
  const docs = await Promise.all(Array.from({ length: 5 }, async () => String((await t.addDocument(tenantId))._id)));
  // Each document's 4 changes published one after another; the documents at the same time.
  const published = new Map<string, { doc: string; seq: number }>();
  await Promise.all(
    docs.map(async (doc) => {
      for (let seq = 0; seq < 4; seq++) {
        const [eventId = ''] = await publishAll(tenantId, [doc], 1);
        published.set(eventId, { doc, seq });
      }
    }),
  );
  await eventually(
    async () => {
      const delivered = await t.store.deliveries.listOpenForWebhook(webhook._id);
      const succeeded = r.requests.filter((_q, i) => i % 3 !== 1).length;
      return delivered.length === 0 && succeeded >= 20 ? true : undefined;
    },
    120_000,
    'all 20 delivered',
  );
  const byDelivery = new Map<string, { doc: string; seq: number }>();
  for (const [eventId, at] of published) {
    const [d] = await t.store.deliveries.listForEvent(`${tenantId}:${eventId}`);
    if (d) byDelivery.set(d._id, at);
  }
  // Per document: requests never go back to an earlier change, and the next starts only after a 2xx.
  const seen = new Map<string, { seq: number; delivered: boolean }>();
  const docOrder: string[] = [];
  r.requests.forEach((q, i) => {
    const at = byDelivery.get(q.headers['x-docflo-delivery'] ?? '');
    expect(at).toBeDefined();
    if (!at) return;
    docOrder.push(at.doc);
    const before = seen.get(at.doc) ?? { seq: -1, delivered: true };
    if (at.seq !== before.seq) {
      expect(before.delivered).toBe(true);
      expect(at.seq).toBe(before.seq + 1);
    }
    seen.set(at.doc, { seq: at.seq, delivered: i % 3 !== 1 });
  });
  for (const doc of docs) expect(seen.get(doc)).toEqual({ seq: 3, delivered: true });
  // Documents interleave: the requests switch document more often than once per document.
  const switches = docOrder.filter((d, i) => i > 0 && d !== docOrder[i - 1]).length;
  expect(switches).toBeGreaterThan(docs.length);
}, 180_000);

test('ordering: webhook: one delivery at a time, in publish order, through 503s', async () => {
  let index = 0;
  const r = await receiver(() => (index++ % 3 === 1 ? { status: 503, delayMs: 50 } : { status: 200, delayMs: 50 }));
  const tenantId = uniqueId('tenant');
  const webhook = await webhookWith(tenantId, r.url, { ordering: 'webhook' });
  const docs = await Promise.all(Array.from({ length: 3 }, async () => String((await t.addDocument(tenantId))._id)));
  // Published one after another, alternating documents: the order to keep is this one.
  const order: string[] = [];
  for (let i = 0; i < 12; i++) order.push(...(await publishAll(tenantId, [docs[i % 3] ?? ''], 1)));
  await eventually(
    async () => ((await t.store.deliveries.listOpenForWebhook(webhook._id)).length === 0 ? true : undefined),
    120_000,
    'all delivered',
  );
  const deliveryOf = new Map<string, number>();
  for (const [i, eventId] of order.entries()) {
    const [d] = await t.store.deliveries.listForEvent(`${tenantId}:${eventId}`);
    if (d) deliveryOf.set(d._id, i);
  }
  const sequence = r.requests.map((q) => deliveryOf.get(q.headers['x-docflo-delivery'] ?? ''));
  // Attempts go 0, (0 again after a 503), 1, ...: never back, never ahead by more than one.
  sequence.forEach((n, i) => {
    const before = i === 0 ? 0 : (sequence[i - 1] ?? 0);
    expect(n === before || n === before + 1).toBe(true);
  });
  expect(sequence[sequence.length - 1]).toBe(11);
  // One at a time: each request arrived after the one before it was answered.
  for (let i = 1; i < r.requests.length; i++) {
    expect((r.requests[i]?.receivedAt ?? 0) - (r.requests[i - 1]?.receivedAt ?? 0)).toBeGreaterThanOrEqual(50);
  }
}, 180_000);
