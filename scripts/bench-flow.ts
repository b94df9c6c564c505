/**
 * npm run bench -- --shape flow: what flow control costs, and whether anyone else pays for it. One worker
 * (the built engine), one receiver, the same servers; each phase its own tenant and webhooks:
 * - plain: one webhook without settings (the reference);
 * - plain beside a limited neighbour: the same, while a second webhook limited to 2/s gets events too;
 * - ordering: document, and a rateLimit too high to bind (1000/s): the gate's cost per delivery.
 * Per phase: deliveries per second at the receiver, publish → receipt p50/p99, CPU ms per delivery (worker,
 * Temporal, store). Flags: --events 300 --concurrency 20 --store sqlite|postgresql|auto --out bench-results/flow.json
 * --phases plain,limited (a comma list of plain, unlimited, limited, ordering, rate; all by default).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { newId } from '../src/ids';
import type { WebhookRecord } from '../src/store/model';
import {
  addDocument,
  buildEngine,
  chooseStoreBackend,
  parseStoreChoice,
  percentile,
  ROOT,
  spawnWorker,
  startHarness,
  startHarnessReceiver,
  type Harness,
} from './lib/harness';
import { childPid, readProcStats } from './lib/proc-stats';

const { values: flags } = parseArgs({
  options: {
    events: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '20' },
    store: { type: 'string', default: 'sqlite' },
    out: { type: 'string', default: 'bench-results/flow.json' },
    phases: { type: 'string', default: 'plain,unlimited,limited,ordering,rate' },
  },
});
const PHASES = new Set(flags.phases.split(','));
for (const p of PHASES) {
  if (!['plain', 'unlimited', 'limited', 'ordering', 'rate'].includes(p)) throw new Error(`unknown phase ${p}`);
}
const N = Number(flags.events);
const CONCURRENCY = Number(flags.concurrency);
const say = (m: string): void => console.log(`[bench:flow] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, digits = 1) => +n.toFixed(digits);

interface PhaseResult {
  phase: string;
  deliveries: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuMsPerDelivery: number;
}

async function main(): Promise<void> {
  await buildEngine(say);
  const h = await startHarness({
    retrySchedule: [1, 2, 4],
    say,
    ferretdbPostgresqlUrl: process.env.MONGODB_URI
      ? undefined
      : await chooseStoreBackend(parseStoreChoice(flags.store)),
  });
  const receiver = await startHarnessReceiver(h.certs);
  const worker = spawnWorker(h, { WORKER_MAX_CONCURRENT_ACTIVITIES: '100' });
  const serverPid = (name: string): number => h.infra.processes.find((p) => p.name === name)?.pid ?? 0;
  const pids: (number | undefined)[] = [
    worker.child.pid,
    childPid(serverPid('temporal dev server')),
    childPid(serverPid('FerretDB')),
  ];
  const cpuNow = (): number =>
    pids.reduce<number>((sum, pid) => sum + (pid ? (readProcStats(pid)?.cpuSeconds ?? 0) : 0), 0);
  const results: PhaseResult[] = [];
  let tenantNo = 0;

  /** A tenant with one webhook per entry (each on its own event type), with the given flow settings. */
  async function tenantWith(
    hooks: { event: 'document.approved' | 'document.rejected'; flow?: Partial<WebhookRecord> }[],
  ) {
    const tenantId = `flow-${tenantNo++}`;
    await h.store.tenants.create({ _id: tenantId, name: tenantId, createdAt: new Date() });
    const webhooks: WebhookRecord[] = [];
    for (const hook of hooks) {
      const id = newId('wh');
      const now = new Date();
      const record: WebhookRecord = {
        _id: id,
        tenantId,
        url: `${receiver.url}/w/${id}`,
        event: hook.event,
        auth: { type: 'none' },
        signingSecret: h.secrets.seal(`whsec_${crypto.randomBytes(24).toString('base64')}`),
        status: 'active',
        ...hook.flow,
        createdAt: now,
        updatedAt: now,
      };
      await h.store.webhooks.insert(record);
      webhooks.push(record);
    }
    return { tenantId, webhooks };
  }

  /** Publishes `count` events of a type, each about a document of its own; answers when each was published. */
  async function publish(
    h: Harness,
    tenantId: string,
    event: 'document.approved' | 'document.rejected',
    count: number,
  ) {
    const docs: string[] = [];
    for (let i = 0; i < count; i++) docs.push(await addDocument(h, tenantId));
    const publishedAt = new Map<string, number>();
    let next = 0;
    const one = async (): Promise<void> => {
      for (let i = next++; i < count; i = next++) {
        const doc = docs[i] ?? '';
        publishedAt.set(doc, Date.now());
        await h.engine.publishEvent({ tenantId, event, documentId: doc, eventId: `${event}-${tenantId}-${i}` });
      }
    };
    return { docs, publishedAt, done: Promise.all(Array.from({ length: CONCURRENCY }, one)) };
  }

  async function measure(phase: string, webhook: WebhookRecord, run: () => Promise<Map<string, number>>) {
    const prefix = `/w/${webhook._id}`;
    const mine = () => receiver.received.filter((r) => r.path.startsWith(prefix));
    const cpuBefore = cpuNow();
    const publishedAt = await run();
    const started = Math.min(...publishedAt.values());
    const deadline = Date.now() + 10 * 60_000;
    while (new Set(mine().map((r) => r.deliveryId)).size < N && Date.now() < deadline) await sleep(50);
    const received = mine();
    const last = Math.max(...received.map((r) => r.at));
    const latencies = received.map((r) => r.at - (publishedAt.get(r.docId) ?? r.at)).sort((a, b) => a - b);
    const deliveries = new Set(received.map((r) => r.deliveryId)).size;
    const result: PhaseResult = {
      phase,
      deliveries,
      perSecond: round(deliveries / ((last - started) / 1000)),
      p50Ms: Math.round(percentile(latencies, 50)),
      p99Ms: Math.round(percentile(latencies, 99)),
      // Everything the servers and the worker spent while this phase's deliveries went (a neighbour's too).
      cpuMsPerDelivery: round(((cpuNow() - cpuBefore) * 1000) / deliveries),
    };
    say(JSON.stringify(result));
    results.push(result);
    await sleep(3_000);
  }

  try {
    // Warm-up: the worker polling, connections open, code paths compiled.
    const warm = await tenantWith([{ event: 'document.approved' }]);
    await (
      await publish(h, warm.tenantId, 'document.approved', 30)
    ).done;
    await sleep(5_000);

    const plain = await tenantWith([{ event: 'document.approved' }]);
    if (PHASES.has('plain'))
      await measure('plain', plain.webhooks[0], async () => {
        const p = await publish(h, plain.tenantId, 'document.approved', N);
        await p.done;
        return p.publishedAt;
      });

    // A neighbour receiving at the same time, unlimited then limited to 2/s: the difference between the two is
    // what the limit costs the plain webhook (the neighbour's own load costs it the same either way).
    for (const [key, phase, neighbourFlow] of [
      ['unlimited', 'plain, beside an unlimited neighbour', {}],
      ['limited', 'plain, beside a neighbour limited to 2/s', { rateLimit: { perSecond: 2, burst: 1 } }],
    ] as const) {
      if (!PHASES.has(key)) continue;
      const beside = await tenantWith([
        { event: 'document.approved' },
        { event: 'document.rejected', flow: neighbourFlow },
      ]);
      const neighbourEvents = Math.round(N / 10);
      await measure(phase, beside.webhooks[0], async () => {
        // The neighbour's events go first, so the limited one has a backlog for the whole phase.
        await (
          await publish(h, beside.tenantId, 'document.rejected', neighbourEvents)
        ).done;
        const p = await publish(h, beside.tenantId, 'document.approved', N);
        await p.done;
        return p.publishedAt;
      });
      // The neighbour drains before the next phase, so it weighs only on the phase that measures it.
      const neighbour = `/w/${beside.webhooks[1]?._id ?? ''}`;
      while (receiver.received.filter((r) => r.path.startsWith(neighbour)).length < neighbourEvents) await sleep(500);
    }

    for (const [key, phase, flow] of [
      ['ordering', 'ordering: document', { ordering: 'document' }],
      ['rate', 'rateLimit 1000/s (never binding)', { rateLimit: { perSecond: 1000, burst: 100 } }],
    ] as const) {
      if (!PHASES.has(key)) continue;
      const t = await tenantWith([{ event: 'document.approved', flow }]);
      await measure(phase, t.webhooks[0], async () => {
        const p = await publish(h, t.tenantId, 'document.approved', N);
        await p.done;
        return p.publishedAt;
      });
    }
  } finally {
    worker.child.kill('SIGTERM');
    await Promise.race([worker.exited, sleep(10_000)]);
    await receiver.close();
    await h.close();
  }

  const base = results.find((r) => r.phase === 'plain');
  console.log(`\nnpm run bench -- --shape flow --events ${N} --concurrency ${CONCURRENCY} --store ${flags.store}\n`);
  console.log(
    '| phase | deliveries | per second | p50 ms | p99 ms | CPU ms / delivery | CPU vs plain | throughput vs plain |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    const cpu = base ? `${round(r.cpuMsPerDelivery / base.cpuMsPerDelivery, 2)}x` : '';
    const rate = base ? `${round(r.perSecond / base.perSecond, 2)}x` : '';
    console.log(
      `| ${r.phase} | ${r.deliveries} | ${r.perSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.cpuMsPerDelivery} | ${cpu} | ${rate} |`,
    );
  }
  const out = path.resolve(ROOT, flags.out);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ events: N, concurrency: CONCURRENCY, results }, null, 2));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
