/**
 * npm run bench -- --shape flow: what flow control costs, and whether anyone else pays for it. One worker
 * (the built engine), one receiver, the same servers; each phase its own tenant and webhooks:
 * - plain: one webhook without settings (the reference);
 * - plain beside a limited neighbour: the same, while a second webhook limited to 2/s gets events too;
 * - ordering: document, and a rateLimit too high to bind (1000/s): the gate's cost per delivery.
 * - steady: the plain webhook's events published at a steady --steady-rate (below what the engine sends), alone
 *   and beside the 2/s neighbour: its latency when the machine is not saturated.
 * Per phase: deliveries per second at the receiver, publish → receipt p50/p99, CPU ms per delivery (worker,
 * Temporal, store). Every phase runs on servers and a store of its own, started for it: the store slows as it
 * fills (FerretDB on SQLite), so phases run one after another on one store measure their place in the run.
 * Flags: --events 300 --concurrency 20 --store sqlite|postgresql|auto --out bench-results/flow.json
 * --phases plain,limited (a comma list of the keys below; all by default) --rounds 1 (each round runs the
 * phases in a rotated order; the table shows each phase's median) --steady-rate 8.
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
} from './lib/harness';
import { childPid, readProcStats } from './lib/proc-stats';

const { values: flags } = parseArgs({
  options: {
    events: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '20' },
    store: { type: 'string', default: 'sqlite' },
    out: { type: 'string', default: 'bench-results/flow.json' },
    phases: { type: 'string', default: 'plain,unlimited,limited,ordering,rate,steady,steady-limited' },
    rounds: { type: 'string', default: '1' },
    'steady-rate': { type: 'string', default: '8' },
  },
});
const N = Number(flags.events);
const CONCURRENCY = Number(flags.concurrency);
const say = (m: string): void => console.log(`[bench:flow] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, digits = 1) => +n.toFixed(digits);

type Flow = Partial<Pick<WebhookRecord, 'rateLimit' | 'ordering'>>;
const LIMITED: Flow = { rateLimit: { perSecond: 2, burst: 1 } };

/** A phase: the measured webhook's flow settings, a neighbour's (if any), and whether its events go steadily. */
interface Phase {
  title: string;
  flow?: Flow;
  neighbour?: Flow;
  steady?: boolean;
}
const PHASES: Record<string, Phase> = {
  plain: { title: 'plain' },
  unlimited: { title: 'plain, beside an unlimited neighbour', neighbour: {} },
  limited: { title: 'plain, beside a neighbour limited to 2/s', neighbour: LIMITED },
  ordering: { title: 'ordering: document', flow: { ordering: 'document' } },
  rate: { title: 'rateLimit 1000/s (never binding)', flow: { rateLimit: { perSecond: 1000, burst: 100 } } },
  steady: { title: 'plain, steady', steady: true },
  'steady-limited': { title: 'plain, steady, beside a neighbour limited to 2/s', steady: true, neighbour: LIMITED },
};
const chosen = flags.phases.split(',');
for (const key of chosen)
  if (!PHASES[key]) throw new Error(`unknown phase ${key}: one of ${Object.keys(PHASES).join(', ')}`);
const ROUNDS = Number(flags.rounds);
const STEADY_PER_SECOND = Number(flags['steady-rate']);

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
  const backend = process.env.MONGODB_URI ? undefined : await chooseStoreBackend(parseStoreChoice(flags.store));
  const results: PhaseResult[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Rotated each round: no phase always runs first, or last, on a machine that warms or tires.
    const order = chosen.map((_, i) => chosen[(i + round) % chosen.length] ?? '');
    for (const key of order) results.push(await runPhase(PHASES[key], backend));
  }
  report(results);
}

/** One phase on servers, a store, a receiver and a worker of its own. */
async function runPhase(phase: Phase, backend: string | undefined): Promise<PhaseResult> {
  const h = await startHarness({ retrySchedule: [1, 2, 4], say, ferretdbPostgresqlUrl: backend });
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
  let tenantNo = 0;

  /** A tenant with one webhook per entry (each on its own event type), with the given flow settings. */
  async function tenantWith(hooks: { event: 'document.approved' | 'document.rejected'; flow?: Flow }[]) {
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

  /**
   * Publishes `count` events of a type, each about a document of its own: `CONCURRENCY` at a time, or one
   * every 1/perSecond s. Answers when each was published.
   */
  async function publish(
    tenantId: string,
    event: 'document.approved' | 'document.rejected',
    count: number,
    perSecond?: number,
  ) {
    const docs: string[] = [];
    for (let i = 0; i < count; i++) docs.push(await addDocument(h, tenantId));
    const publishedAt = new Map<string, number>();
    const one = async (i: number): Promise<void> => {
      const doc = docs[i] ?? '';
      publishedAt.set(doc, Date.now());
      await h.engine.publishEvent({ tenantId, event, documentId: doc, eventId: `${event}-${tenantId}-${i}` });
    };
    if (perSecond) {
      const start = Date.now();
      const all: Promise<void>[] = [];
      for (let i = 0; i < count; i++) {
        await sleep(Math.max(0, start + (i * 1000) / perSecond - Date.now()));
        all.push(one(i));
      }
      await Promise.all(all);
    } else {
      let next = 0;
      const worker = async (): Promise<void> => {
        for (let i = next++; i < count; i = next++) await one(i);
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    }
    return publishedAt;
  }

  const received = (webhook: WebhookRecord | undefined) =>
    receiver.received.filter((r) => r.path.startsWith(`/w/${webhook?._id ?? ''}`));

  try {
    // Warm-up: the worker polling, connections open, code paths compiled.
    const warm = await tenantWith([{ event: 'document.approved' }]);
    await publish(warm.tenantId, 'document.approved', 30);
    while (received(warm.webhooks[0]).length < 30) await sleep(100);
    await sleep(3_000);

    const t = await tenantWith([
      { event: 'document.approved', flow: phase.flow },
      ...(phase.neighbour ? [{ event: 'document.rejected' as const, flow: phase.neighbour }] : []),
    ]);
    const [measured, neighbour] = t.webhooks;
    // A tenth of the phase's events; beside a steady stream, enough to keep a 2/s neighbour busy all along.
    const neighbourEvents = phase.steady ? Math.ceil((N / STEADY_PER_SECOND) * 2) : Math.round(N / 10);
    const cpuBefore = cpuNow();
    // A neighbour's events go first, so a limited one has a backlog for the whole phase. A steady stream starts
    // once the neighbour is receiving: its latency then measures the neighbour's draining, not its publishing.
    if (neighbour) await publish(t.tenantId, 'document.rejected', neighbourEvents);
    while (phase.steady && neighbour && received(neighbour).length < 3) await sleep(50);
    const publishedAt = await publish(t.tenantId, 'document.approved', N, phase.steady ? STEADY_PER_SECOND : undefined);
    const started = Math.min(...publishedAt.values());
    const deadline = Date.now() + 10 * 60_000;
    while (new Set(received(measured).map((r) => r.deliveryId)).size < N && Date.now() < deadline) await sleep(50);
    const mine = received(measured);
    const last = Math.max(...mine.map((r) => r.at));
    const latencies = mine.map((r) => r.at - (publishedAt.get(r.docId) ?? r.at)).sort((a, b) => a - b);
    const deliveries = new Set(mine.map((r) => r.deliveryId)).size;
    const result: PhaseResult = {
      phase: phase.title,
      deliveries,
      perSecond: round(deliveries / ((last - started) / 1000)),
      p50Ms: Math.round(percentile(latencies, 50)),
      p99Ms: Math.round(percentile(latencies, 99)),
      // Everything the servers and the worker spent while this phase's deliveries went (a neighbour's too).
      cpuMsPerDelivery: round(((cpuNow() - cpuBefore) * 1000) / deliveries),
    };
    say(JSON.stringify(result));
    return result;
  } finally {
    worker.child.kill('SIGTERM');
    await Promise.race([worker.exited, sleep(10_000)]);
    await receiver.close();
    await h.close();
  }
}

/** Each phase's median over the rounds, as a table against plain (and steady against steady). */
function report(results: PhaseResult[]): void {
  const median = (xs: number[]) =>
    percentile(
      [...xs].sort((a, b) => a - b),
      50,
    );
  const rows = chosen.map((key) => {
    const title = PHASES[key]?.title ?? key;
    const runs = results.filter((r) => r.phase === title);
    return {
      phase: title,
      deliveries: Math.min(...runs.map((r) => r.deliveries)),
      perSecond: round(median(runs.map((r) => r.perSecond))),
      p50Ms: Math.round(median(runs.map((r) => r.p50Ms))),
      p99Ms: Math.round(median(runs.map((r) => r.p99Ms))),
      cpuMsPerDelivery: round(median(runs.map((r) => r.cpuMsPerDelivery))),
      rounds: runs.map((r) => r.perSecond),
    };
  });
  const baseOf = (phase: string) =>
    rows.find((r) => r.phase === (phase.includes('steady') ? 'plain, steady' : 'plain'));
  console.log(
    `\nnpm run bench -- --shape flow --events ${N} --concurrency ${CONCURRENCY} --store ${flags.store} ` +
      `--rounds ${ROUNDS} --steady-rate ${STEADY_PER_SECOND}\n`,
  );
  console.log(
    '| phase | deliveries | per second (each round) | p50 ms | p99 ms | CPU ms / delivery | CPU vs plain | throughput vs plain |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const base = baseOf(r.phase);
    const cpu = base ? `${round(r.cpuMsPerDelivery / base.cpuMsPerDelivery, 2)}x` : '';
    const rate = base ? `${round(r.perSecond / base.perSecond, 2)}x` : '';
    console.log(
      `| ${r.phase} | ${r.deliveries} | ${r.perSecond} (${r.rounds.join(', ')}) | ${r.p50Ms} | ${r.p99Ms} | ` +
        `${r.cpuMsPerDelivery} | ${cpu} | ${rate} |`,
    );
  }
  const out = path.resolve(ROOT, flags.out);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(
    out,
    JSON.stringify({ events: N, concurrency: CONCURRENCY, rounds: ROUNDS, rows, runs: results }, null, 2),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
