/**
 * Nobody else pays (issue 20), on the real servers: an unlimited webhook receiving a steady stream keeps its
 * throughput while another tenant's webhook, limited to 2/s, works through a backlog at the same time. The
 * limited one's deliveries wait for their permits by signal (no worker slot, no task of the shared queues
 * waits with them) and send on the paced task queue, so only the work of its own 2 deliveries a second is
 * shared. The stream is steady and below what the engine sends, as a busy tenant's would be: a burst that
 * saturates the machine is slowed by any neighbour's work, limited or not (docs/performance.md measures that).
 */
import { startTestEngine, uniqueId, type TestEngine } from '../helpers/engine';
import { startReceiver, type Receiver } from '../helpers/receiver';

let t: TestEngine;
let r: Receiver;
beforeAll(async () => {
  t = await startTestEngine({ retrySchedule: [1, 1, 1, 1, 1], retryPolicy: { jitter: 0 } });
  r = await startReceiver();
});
afterAll(async () => {
  await r.close();
  await t.dispose();
});

const STREAM = 120;
const STREAM_PER_SECOND = 4;
const BACKLOG = 80;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface StreamRun {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  lastArrivedAt: number;
}

interface Stream {
  tenantId: string;
  path: string;
  docs: string[];
}

/** A new unlimited webhook, and a document for each of its events (the body's document names its event). */
async function prepareStream(): Promise<Stream> {
  const tenantId = uniqueId('tenant');
  const path = `/${uniqueId('stream')}`;
  await t.addWebhook({ tenantId, url: `${r.url}${path}`, event: 'document.approved' });
  const docs: string[] = [];
  for (let i = 0; i < STREAM; i++) docs.push(String((await t.addDocument(tenantId))._id));
  return { tenantId, path, docs };
}

/** Publishes the stream's events at STREAM_PER_SECOND; measures them at the receiver. */
async function stream({ tenantId, path, docs }: Stream): Promise<StreamRun> {
  const publishedAt = new Map<string, number>();
  const start = Date.now();
  const publishing: Promise<unknown>[] = [];
  for (const [i, doc] of docs.entries()) {
    await sleep(Math.max(0, start + (i * 1000) / STREAM_PER_SECOND - Date.now()));
    publishedAt.set(doc, Date.now());
    publishing.push(
      t.engine.publishEvent({ eventId: uniqueId('evt'), tenantId, event: 'document.approved', documentId: doc }),
    );
  }
  await Promise.all(publishing);
  const mine = () => r.requests.filter((q) => q.path.endsWith(path));
  const deadline = Date.now() + 120_000;
  while (new Set(mine().map((q) => q.headers['x-docflo-delivery'])).size < STREAM && Date.now() < deadline) {
    await sleep(100);
  }
  const arrived = mine();
  expect(new Set(arrived.map((q) => q.headers['x-docflo-delivery'])).size).toBe(STREAM);
  const latencies = arrived
    .map((q) => q.receivedAt - (publishedAt.get(documentOf(q.rawBody)) ?? Infinity))
    .sort((a, b) => a - b);
  const lastArrivedAt = Math.max(...arrived.map((q) => q.receivedAt));
  return {
    perSecond: STREAM / ((lastArrivedAt - start) / 1000),
    p50Ms: latencies[Math.ceil(latencies.length * 0.5) - 1] ?? Infinity,
    p99Ms: latencies[Math.ceil(latencies.length * 0.99) - 1] ?? Infinity,
    lastArrivedAt,
  };
}

function documentOf(rawBody: string): string {
  return (JSON.parse(rawBody) as { doc?: { _id?: string } }).doc?._id ?? '';
}

test('an unlimited webhook keeps its throughput (within 10 %) beside a neighbour limited to 2/s with a backlog', async () => {
  const alone = await stream(await prepareStream());
  const next = await prepareStream();

  // The neighbour: another tenant's webhook at 2/s, given 40 s of backlog before the stream starts.
  const neighbourTenant = uniqueId('tenant');
  await t.addWebhook({
    tenantId: neighbourTenant,
    url: `${r.url}/limited`,
    event: 'document.rejected',
    flow: { rateLimit: { perSecond: 2, burst: 1 } },
  });
  const neighbourDoc = String((await t.addDocument(neighbourTenant))._id);
  for (let i = 0; i < BACKLOG; i += 10) {
    await Promise.all(
      Array.from({ length: 10 }, () =>
        t.engine.publishEvent({
          eventId: uniqueId('evt'),
          tenantId: neighbourTenant,
          event: 'document.rejected',
          documentId: neighbourDoc,
        }),
      ),
    );
  }
  // The stream starts once the neighbour is receiving (its 80 events published, at 2/s it drains beside it).
  while (r.requests.filter((q) => q.path.endsWith('/limited')).length < 3) await sleep(100);
  const beside = await stream(next);
  const limited = r.requests.filter((q) => q.path.endsWith('/limited') && q.receivedAt <= beside.lastArrivedAt);
  console.log(
    `neighbour: alone ${alone.perSecond.toFixed(2)}/s p50 ${alone.p50Ms} ms p99 ${alone.p99Ms} ms; beside a 2/s ` +
      `neighbour ${beside.perSecond.toFixed(2)}/s p50 ${beside.p50Ms} ms p99 ${beside.p99Ms} ms; the neighbour had ${limited.length} of ${BACKLOG} ` +
      `when the stream's last arrived`,
  );
  // The neighbour's limit held it back for the whole stream (it was receiving at the same time)...
  expect(limited.length).toBeGreaterThan(0);
  expect(limited.length).toBeLessThan(BACKLOG);
  // ...and the stream went as it goes alone.
  expect(beside.perSecond).toBeGreaterThanOrEqual(alone.perSecond * 0.9);
  // The neighbour's backlog all arrives too.
  await r.waitForRequests(2 * STREAM + BACKLOG, 120_000);
}, 300_000);
