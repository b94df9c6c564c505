/**
 * npm run bench: delivery throughput and publish→receipt latency of the whole engine (API client → Temporal →
 * worker → HTTPS receiver), the CPU and peak memory of each process, and, in the same run, the physical
 * limit: the same signed POSTs sent by the engine's own sender straight to the same receiver, no Temporal, no
 * store. Flags: --tenants 2 --webhooks 5 --events 50 (per tenant) --rate 0 (events/s, 0 = as fast as possible)
 * --concurrency 100 --out bench-results/latest.json
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildDeliveryHeaders } from '../src/delivery/request';
import { createSender } from '../src/delivery/sender';
import { parseCidrs } from '../src/delivery/ssrf';
import { trustedCertificates } from '../src/delivery/trust';
import { deliveryIdFor } from '../src/ids';
import {
  addDocument,
  buildEngine,
  createTenants,
  percentile,
  ROOT,
  spawnWorker,
  startHarness,
  startHarnessReceiver,
} from './lib/harness';
import { topSelfTime } from './lib/cpu-profile';
import { childPid, readProcStats, type ProcStats } from './lib/proc-stats';

const { values: flags } = parseArgs({
  options: {
    tenants: { type: 'string', default: '2' },
    webhooks: { type: 'string', default: '5' },
    events: { type: 'string', default: '50' },
    rate: { type: 'string', default: '0' },
    concurrency: { type: 'string', default: '100' },
    out: { type: 'string', default: 'bench-results/latest.json' },
    'temporal-pid': { type: 'string' },
    profile: { type: 'boolean', default: false },
  },
});
const T = Number(flags.tenants);
const W = Number(flags.webhooks);
const E = Number(flags.events);
const RATE = Number(flags.rate);
const CONCURRENCY = Number(flags.concurrency);
const say = (m: string): void => console.log(`[bench] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = (): number => performance.timeOrigin + performance.now();

function latencySummary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

async function main(): Promise<void> {
  await buildEngine(say);
  const h = await startHarness({ retrySchedule: [1, 5, 30], say });
  const receiver = await startHarnessReceiver(h.certs);
  const tenants = await createTenants(h, receiver.url, T, W, 'document.processed');
  const profileDir = path.join(h.workDir, 'cpu-profile');
  const worker = spawnWorker(
    h,
    { WORKER_MAX_CONCURRENT_ACTIVITIES: String(CONCURRENCY) },
    flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  );
  let workerGone = false;
  void worker.exited.then(() => {
    workerGone = true;
  });
  const serverPid = (name: string): number => h.infra.processes.find((p) => p.name === name)?.pid ?? 0;
  const pids = {
    worker: worker.child.pid ?? 0,
    // By name: with TEMPORAL_ADDRESS or MONGODB_URI set, that server is not ours to measure (pass its PID).
    temporal: flags['temporal-pid'] ? Number(flags['temporal-pid']) : childPid(serverPid('temporal dev server')),
    store: childPid(serverPid('FerretDB')),
  };
  try {
    // Warm-up: one event per tenant, so the worker is polling and connections are open before we measure.
    const warm = await Promise.all(tenants.map(async (t) => ({ t, doc: await addDocument(h, t.tenantId) })));
    for (const { t, doc } of warm)
      await h.engine.publishEvent({
        tenantId: t.tenantId,
        event: 'document.processed',
        documentId: doc,
        eventId: `warm-${doc}`,
      });
    const warmDeadline = Date.now() + 120_000;
    while (receiver.received.length < T * W) {
      if (workerGone || Date.now() > warmDeadline) throw new Error('the worker did not deliver the warm-up events');
      await sleep(50);
    }
    receiver.received.length = 0;

    const events: { tenantId: string; docId: string; eventId: string; publishedAt: number }[] = [];
    for (const t of tenants)
      for (let i = 0; i < E; i++)
        events.push({ tenantId: t.tenantId, docId: await addDocument(h, t.tenantId), eventId: '', publishedAt: 0 });
    const expected = events.length * W;
    const cpuBefore = Object.fromEntries(
      Object.entries(pids).map(([k, pid]) => [k, pid ? (readProcStats(pid)?.cpuSeconds ?? 0) : 0]),
    );
    say(`publishing ${events.length} events to ${T} tenants × ${W} webhooks: ${expected} deliveries`);
    const started = now();
    const interval = RATE > 0 ? 1000 / RATE : 0;
    let next = 0;
    const publishOne = async () => {
      for (;;) {
        const i = next++;
        const e = events[i];
        if (!e) return;
        if (interval) await sleep(Math.max(0, started + i * interval - now()));
        e.eventId = `bench-${e.docId}`;
        e.publishedAt = now();
        await h.engine.publishEvent({
          tenantId: e.tenantId,
          event: 'document.processed',
          documentId: e.docId,
          eventId: e.eventId,
        });
      }
    };
    await Promise.all(Array.from({ length: RATE > 0 ? 50 : 20 }, publishOne));
    const deadline = Date.now() + 15 * 60_000;
    while (new Set(receiver.received.map((r) => r.deliveryId)).size < expected && Date.now() < deadline)
      await sleep(100);
    const finished = Math.max(...receiver.received.map((r) => r.at));

    // Verify: every (event, webhook) pair, no delivery ID at a wrong webhook, duplicates counted.
    const byDoc = new Map(events.map((e) => [e.docId, e]));
    const seen = new Map<string, number>();
    let wrongWebhook = 0;
    const latencies: number[] = [];
    for (const r of receiver.received) {
      const e = byDoc.get(r.docId);
      const webhookId = r.path.split('/').pop() ?? '';
      if (!e || r.deliveryId !== deliveryIdFor(webhookId, `${e.tenantId}:${e.eventId}`)) wrongWebhook++;
      seen.set(r.deliveryId, (seen.get(r.deliveryId) ?? 0) + 1);
      if (e && seen.get(r.deliveryId) === 1) latencies.push(r.at - e.publishedAt);
    }
    const duplicates = [...seen.values()].reduce((n, c) => n + c - 1, 0);
    const missing = expected - seen.size;
    const engineSeconds = (finished - started) / 1000;
    const stats = Object.fromEntries(
      Object.entries(pids).map(([k, pid]) => {
        const s: ProcStats | undefined = pid ? readProcStats(pid) : undefined;
        return [
          k,
          s
            ? { cpuSeconds: +(s.cpuSeconds - (cpuBefore[k] ?? 0)).toFixed(2), peakRssMb: +s.peakRssMb.toFixed(0) }
            : null,
        ];
      }),
    );

    // The physical limit: the same requests, same sender, same concurrency, straight to the receiver.
    say(`measuring the physical limit: ${expected} direct POSTs at concurrency ${CONCURRENCY}`);
    receiver.received.length = 0;
    const sender = createSender({
      timeoutMs: 30_000,
      maxResponseBytes: 16 * 1024,
      ca: trustedCertificates({ extraCaFiles: [h.certs.caFile] }),
      allowedCidrs: parseCidrs('127.0.0.1/32'),
      connectionsPerOrigin: CONCURRENCY,
    });
    const body = (await h.store.events.findByKey(`${events[0]?.tenantId}:${events[0]?.eventId}`))?.body ?? '{}';
    const direct: number[] = [];
    let sent = 0;
    const limitStarted = now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (sent < expected) {
          const n = sent++;
          const t0 = now();
          await sender.send({
            url: `${receiver.url}/limit/${n}`,
            headers: buildDeliveryHeaders({
              deliveryId: `dlv_limit_${n}`,
              event: 'document.processed',
              body,
              auth: { type: 'bearer', token: 'x' },
              signingSecrets: ['whsec_bench'],
              timestamp: Math.floor(Date.now() / 1000),
            }),
            body,
          });
          direct.push(now() - t0);
        }
      }),
    );
    const limitSeconds = (now() - limitStarted) / 1000;
    await sender.close();

    const engine = {
      deliveries: expected,
      seconds: +engineSeconds.toFixed(2),
      perSecond: +(expected / engineSeconds).toFixed(1),
      latencyMs: latencySummary(latencies),
    };
    const limit = {
      deliveries: expected,
      seconds: +limitSeconds.toFixed(2),
      perSecond: +(expected / limitSeconds).toFixed(1),
      latencyMs: latencySummary(direct),
    };
    const report = {
      date: new Date().toISOString(),
      command: `npm run bench -- --tenants ${T} --webhooks ${W} --events ${E} --rate ${RATE} --concurrency ${CONCURRENCY}`,
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
      engine,
      limit,
      ratio: +(engine.perSecond / limit.perSecond).toFixed(3),
      processes: stats,
      verification: { expected, received: seen.size, missing, duplicates, wrongWebhook },
    };
    const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '-');
    const table = [
      `| | deliveries/s | p50 ms | p95 ms | p99 ms | max ms |`,
      `| --- | ---: | ---: | ---: | ---: | ---: |`,
      `| engine (publish → receipt) | ${engine.perSecond} | ${fmt(engine.latencyMs.p50)} | ${fmt(engine.latencyMs.p95)} | ${fmt(engine.latencyMs.p99)} | ${fmt(engine.latencyMs.max)} |`,
      `| physical limit (direct POST) | ${limit.perSecond} | ${fmt(limit.latencyMs.p50)} | ${fmt(limit.latencyMs.p95)} | ${fmt(limit.latencyMs.p99)} | ${fmt(limit.latencyMs.max)} |`,
      ``,
      `engine / limit: ${report.ratio}  ·  ${expected} expected, ${seen.size} received, ${missing} missing, ${duplicates} duplicates, ${wrongWebhook} at a wrong webhook`,
      ``,
      `| process | CPU s | peak RSS MB |`,
      `| --- | ---: | ---: |`,
      ...Object.entries(stats).map(([k, s]) => `| ${k} | ${s?.cpuSeconds ?? '-'} | ${s?.peakRssMb ?? '-'} |`),
    ].join('\n');
    console.log(`\n${report.command}\n\n${table}\n`);
    const out = path.resolve(ROOT, flags.out ?? 'bench-results/latest.json');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify({ ...report, table }, null, 2));
    say(`figures written to ${path.relative(ROOT, out)}`);
    if (missing > 0 || wrongWebhook > 0) process.exitCode = 1;
  } finally {
    worker.child.kill('SIGTERM');
    await Promise.race([worker.exited, sleep(10_000)]);
    if (flags.profile) {
      console.log('\nworker CPU profile, self time (node --cpu-prof):');
      for (const { fn, percent } of topSelfTime(profileDir)) console.log(`  ${String(percent).padStart(5)} %  ${fn}`);
    }
    await receiver.close();
    await h.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
