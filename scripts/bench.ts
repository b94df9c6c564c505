/**
 * npm run bench: delivery throughput and publish→receipt latency of the whole engine (client → Temporal →
 * worker → HTTPS receiver), and in the same run, against the same servers and receiver:
 * - the Temporal floor for this design: the same event → children shape with one local activity per child
 *   sending the same signed POST with the engine's sender, and no store (scripts/floor);
 * - the physical limit: the same POSTs sent straight by the engine's sender (no Temporal, no store).
 * Per delivery it reports CPU ms by process, history events and workflow/activity tasks (from a sample of
 * histories) and store commands by name (the driver's command monitoring, in the workers and the publisher).
 * Flags: --tenants 2 --webhooks 5 --events 50 (per tenant) --rate 0 (events/s, 0 = as fast as possible)
 * --concurrency 100 --workers 1 --preload 0 (older deliveries and attempts put in the store first)
 * --floor true --out bench-results/latest.json --temporal-pid <pid> --profile
 * --shape fanout: the big fan-out instead (scripts/bench-fanout.ts, its own flags).
 * --shape flow: what flow control costs, and whether a limited neighbour slows anyone (scripts/bench-flow.ts).
 * --store auto|sqlite|postgresql: the local FerretDB's backend (auto: the machine's PostgreSQL when it answers,
 * as FERRETDB_POSTGRESQL_URL or postgres://postgres@127.0.0.1:5432/postgres; else SQLite). On PostgreSQL the
 * store's CPU includes every `postgres` process of the machine.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { buildDeliveryHeaders } from '../src/delivery/request';
import { createSender } from '../src/delivery/sender';
import { parseCidrs } from '../src/delivery/ssrf';
import { trustedCertificates } from '../src/delivery/trust';
import { deliveryIdFor } from '../src/ids';
import { deliveryWorkflowId, eventWorkflowId } from '../src/workflows/ids';
import type { floorEventWorkflow } from './floor/workflows';
import { topSelfTimeByThread } from './lib/cpu-profile';
import {
  addDocument,
  buildEngine,
  createTenants,
  percentile,
  ROOT,
  spawnWorker,
  startHarness,
  startHarnessReceiver,
  chooseStoreBackend,
  parseStoreChoice,
  type Harness,
  type Received,
  type WorkerProcess,
} from './lib/harness';
import { preloadStore } from './lib/preload';
import { childPid, readProcStats } from './lib/proc-stats';

// `--shape fanout`: one tenant, 1,200 webhooks, three events through npm run dev (scripts/bench-fanout.ts);
// `--shape flow`: flow control's cost and its neighbours (scripts/bench-flow.ts).
const shapeAt = process.argv.indexOf('--shape');
if (shapeAt >= 0) {
  const shape = process.argv[shapeAt + 1];
  if (shape !== 'fanout' && shape !== 'flow') throw new Error(`--shape must be fanout or flow (got ${shape})`);
  const rest = process.argv.slice(2).filter((_, i) => i !== shapeAt - 2 && i !== shapeAt - 1);
  const script = shape === 'flow' ? 'bench-flow.ts' : 'bench-fanout.ts';
  const run = spawnSync('npx', ['ts-node', '--transpile-only', path.join(__dirname, script), ...rest], {
    stdio: 'inherit',
  });
  process.exit(run.status ?? 1);
}

const { values: flags } = parseArgs({
  options: {
    tenants: { type: 'string', default: '2' },
    webhooks: { type: 'string', default: '5' },
    events: { type: 'string', default: '50' },
    rate: { type: 'string', default: '0' },
    concurrency: { type: 'string', default: '100' },
    workers: { type: 'string', default: '1' },
    preload: { type: 'string', default: '0' },
    floor: { type: 'string', default: 'true' },
    out: { type: 'string', default: 'bench-results/latest.json' },
    'temporal-pid': { type: 'string' },
    /** With MONGODB_URI set: the store's PID to measure (e.g. a FerretDB you started). */
    'store-pid': { type: 'string' },
    /** Also measure every `postgres` process of this machine (a store or Temporal on PostgreSQL). */
    postgres: { type: 'boolean', default: false },
    store: { type: 'string', default: 'auto' },
    profile: { type: 'boolean', default: false },
  },
});
const T = Number(flags.tenants);
const W = Number(flags.webhooks);
const E = Number(flags.events);
const RATE = Number(flags.rate);
const CONCURRENCY = Number(flags.concurrency);
const WORKERS = Number(flags.workers);
const PRELOAD = Number(flags.preload);
const STORE = parseStoreChoice(flags.store);
const say = (m: string): void => console.log(`[bench] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = (): number => performance.timeOrigin + performance.now();
const round = (n: number, digits = 1) => +n.toFixed(digits);

function latencySummary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

/** CPU seconds per named process between two readings, and each one's peak RSS. */
/** The PIDs of every process of this machine whose command is `postgres` (backends come and go). */
function postgresPids(): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'postgres';
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** `postgres`: also count every `postgres` process (FerretDB or Temporal on the machine's PostgreSQL). */
function cpuMeter(pids: Record<string, number | undefined>, postgres: boolean) {
  const before = Object.fromEntries(
    Object.entries(pids).map(([k, pid]) => [k, pid ? (readProcStats(pid)?.cpuSeconds ?? 0) : 0]),
  );
  const pgBefore = new Map(postgres ? postgresPids().map((p) => [p, readProcStats(p)?.cpuSeconds ?? 0]) : []);
  return (): Record<string, { cpuSeconds: number; peakRssMb: number } | null> => {
    const reading: Record<string, { cpuSeconds: number; peakRssMb: number } | null> = Object.fromEntries(
      Object.entries(pids).map(([k, pid]) => {
        const s = pid ? readProcStats(pid) : undefined;
        return [
          k,
          s ? { cpuSeconds: round(s.cpuSeconds - (before[k] ?? 0), 2), peakRssMb: Math.round(s.peakRssMb) } : null,
        ];
      }),
    );
    if (postgres) {
      const seconds = postgresPids().reduce(
        (sum, p) => sum + ((readProcStats(p)?.cpuSeconds ?? 0) - (pgBefore.get(p) ?? 0)),
        0,
      );
      reading['postgres (all)'] = { cpuSeconds: round(seconds, 2), peakRssMb: 0 };
    }
    return reading;
  };
}

type CpuReading = ReturnType<ReturnType<typeof cpuMeter>>;

function cpuMsPerDelivery(cpu: CpuReading, deliveries: number) {
  const byProcess = Object.fromEntries(
    Object.entries(cpu).map(([k, v]) => [k, v ? round((v.cpuSeconds * 1000) / deliveries) : null]),
  );
  const total = Object.values(cpu).reduce((sum, v) => sum + (v?.cpuSeconds ?? 0), 0);
  return { total: round((total * 1000) / deliveries), byProcess };
}

async function waitForReceipts(received: Received[], expected: number, prefix: string, gone: () => boolean) {
  const deadline = Date.now() + 15 * 60_000;
  const distinct = () => new Set(received.filter((r) => r.path.startsWith(prefix)).map((r) => r.deliveryId)).size;
  while (distinct() < expected && Date.now() < deadline && !gone()) await sleep(100);
}

/** History events and tasks per delivery, from the histories of a sample of events and their deliveries. */
async function historyCounts(temporal: Client, sample: { tenantId: string; eventId: string; webhookIds: string[] }[]) {
  const totals = { events: 0, workflowTasks: 0, activityTasks: 0, localActivities: 0, deliveries: 0 };
  const count = (h: Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>) => {
    for (const e of h.events ?? []) {
      totals.events++;
      if (e.workflowTaskCompletedEventAttributes) totals.workflowTasks++;
      if (e.activityTaskScheduledEventAttributes) totals.activityTasks++;
      if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') totals.localActivities++;
    }
  };
  for (const s of sample) {
    count(await temporal.workflow.getHandle(eventWorkflowId(s.tenantId, s.eventId)).fetchHistory());
    for (const webhookId of s.webhookIds) {
      count(await temporal.workflow.getHandle(deliveryWorkflowId(webhookId, s.eventId)).fetchHistory());
      totals.deliveries++;
    }
  }
  const per = (n: number) => round(n / Math.max(1, totals.deliveries), 2);
  return {
    historyEvents: per(totals.events),
    workflowTasks: per(totals.workflowTasks),
    activityTasks: per(totals.activityTasks),
    localActivities: per(totals.localActivities),
    sampledDeliveries: totals.deliveries,
  };
}

function storeOpsPerDelivery(counts: Record<string, number>, deliveries: number) {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return {
    total: round(total / deliveries, 2),
    byCommand: Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, round(v / deliveries, 2)])),
  };
}

function addCounts(into: Record<string, number>, from: Record<string, number>) {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

async function main(): Promise<void> {
  await buildEngine(say);
  const ferretdbPostgresqlUrl = process.env.MONGODB_URI ? undefined : await chooseStoreBackend(STORE);
  const h = await startHarness({ retrySchedule: [1, 5, 30], say, ferretdbPostgresqlUrl });
  const storeBackend = process.env.MONGODB_URI
    ? 'MONGODB_URI'
    : `FerretDB on ${ferretdbPostgresqlUrl ? 'PostgreSQL' : 'SQLite'}`;
  const countPostgres = flags.postgres || ferretdbPostgresqlUrl !== undefined;
  say(`store: ${storeBackend}`);
  const receiver = await startHarnessReceiver(h.certs);
  const tenants = await createTenants(h, receiver.url, T, W, 'document.processed');
  if (PRELOAD > 0) {
    say(`preloading the store with ${PRELOAD} older deliveries and their attempts`);
    await preloadStore(h, tenants, PRELOAD);
  }
  const profileDir = path.join(h.workDir, 'cpu-profile');
  const opsFiles = Array.from({ length: WORKERS }, (_, i) => path.join(h.workDir, `store-ops-${i}.json`));
  const workers: WorkerProcess[] = opsFiles.map((file, i) =>
    spawnWorker(
      h,
      { WORKER_MAX_CONCURRENT_ACTIVITIES: String(CONCURRENCY), STORE_OP_COUNTS_FILE: file },
      flags.profile && i === 0 ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    ),
  );
  let workerGone = false;
  for (const w of workers) void w.exited.then(() => (workerGone = true));
  const serverPid = (name: string): number => h.infra.processes.find((p) => p.name === name)?.pid ?? 0;
  const temporalPid = flags['temporal-pid']
    ? Number(flags['temporal-pid'])
    : childPid(serverPid('temporal dev server'));
  const storePid = flags['store-pid'] ? Number(flags['store-pid']) : childPid(serverPid('FerretDB'));
  const enginePids: Record<string, number | undefined> = {
    ...Object.fromEntries(workers.map((w, i) => [WORKERS === 1 ? 'worker' : `worker ${i + 1}`, w.child.pid])),
    temporal: temporalPid,
    store: storePid,
  };
  let floorWorker: WorkerProcess | undefined;
  try {
    // Warm-up: one event per tenant, so the workers are polling and connections are open before we measure.
    for (const t of tenants) {
      const doc = await addDocument(h, t.tenantId);
      await h.engine.publishEvent({
        tenantId: t.tenantId,
        event: 'document.processed',
        documentId: doc,
        eventId: `warm-${doc}`,
      });
    }
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
    h.storeOps.clear();
    const engineCpu = cpuMeter(enginePids, countPostgres);
    say(
      `publishing ${events.length} events to ${T} tenants × ${W} webhooks: ${expected} deliveries (${WORKERS} worker(s))`,
    );
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
    await waitForReceipts(receiver.received, expected, '/w/', () => workerGone);
    const finished = Math.max(...receiver.received.map((r) => r.at));
    const engineCpuReading = engineCpu();
    const publisherOps = Object.fromEntries(h.storeOps);

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

    const sample = events.filter((_, i) => i % Math.max(1, Math.floor(events.length / 10)) === 0).slice(0, 10);
    const history = await historyCounts(
      h.temporal,
      sample.map((e) => ({
        tenantId: e.tenantId,
        eventId: e.eventId,
        webhookIds: tenants.find((t) => t.tenantId === e.tenantId)?.webhooks.map((w) => w._id) ?? [],
      })),
    );
    // The workers write their store-command counts when they stop: stop them now (the run is over).
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.race([Promise.all(workers.map((w) => w.exited)), sleep(15_000)]);
    const storeCounts: Record<string, number> = { ...publisherOps };
    for (const file of opsFiles) {
      if (fs.existsSync(file))
        addCounts(storeCounts, JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, number>);
    }
    // The warm-up's commands are in the workers' counts too: scale them out by share of deliveries.
    const warmShare = expected / (expected + T * W);
    for (const k of Object.keys(storeCounts))
      if (!(k in publisherOps)) storeCounts[k] = Math.round((storeCounts[k] ?? 0) * warmShare);

    // The physical limit: the same requests, same sender, same concurrency, straight to the receiver.
    say(`measuring the physical limit: ${expected} direct POSTs at concurrency ${CONCURRENCY}`);
    const body = (await h.store.events.findByKey(`${events[0]?.tenantId}:${events[0]?.eventId}`))?.body ?? '{}';
    const limit = await physicalLimit(h, receiver.url, body, expected);

    let floor: Awaited<ReturnType<typeof measureFloor>> | undefined;
    if (flags.floor !== 'false') {
      say(`measuring the Temporal floor: the same ${expected} deliveries, one local activity per child, no store`);
      floorWorker = spawnFloorWorker(h);
      floor = await measureFloor(
        h,
        receiver,
        floorWorker,
        { temporal: temporalPid, store: storePid, postgres: countPostgres },
        expected,
      );
    }

    const engine = {
      deliveries: expected,
      workers: WORKERS,
      seconds: round(engineSeconds, 2),
      perSecond: round(expected / engineSeconds),
      latencyMs: latencySummary(latencies),
      cpuMsPerDelivery: cpuMsPerDelivery(engineCpuReading, expected),
    };
    const perDelivery = { ...history, storeOps: storeOpsPerDelivery(storeCounts, expected) };
    const report = {
      date: new Date().toISOString(),
      command: `npm run bench -- --tenants ${T} --webhooks ${W} --events ${E} --rate ${RATE} --concurrency ${CONCURRENCY} --workers ${WORKERS} --preload ${PRELOAD} --store ${STORE}${flags.floor === 'false' ? ' --floor false' : ''}`,
      machine: { cpus: os.cpus().length, node: process.version },
      store: storeBackend,
      engine,
      floor,
      limit,
      ratios: {
        engineToLimit: round(engine.perSecond / limit.perSecond, 3),
        ...(floor
          ? {
              throughputEngineToFloor: round(engine.perSecond / floor.perSecond, 3),
              cpuEngineToFloor: round(engine.cpuMsPerDelivery.total / floor.cpuMsPerDelivery.total, 3),
            }
          : {}),
      },
      perDelivery,
      processes: engineCpuReading,
      verification: { expected, received: seen.size, missing, duplicates, wrongWebhook },
    };
    const table = renderTable(report);
    console.log(`\n${report.command}\nstore: ${report.store}\n\n${table}\n`);
    const out = path.resolve(ROOT, flags.out ?? 'bench-results/latest.json');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify({ ...report, table }, null, 2));
    say(`figures written to ${path.relative(ROOT, out)}`);
    if (missing > 0 || wrongWebhook > 0 || duplicates > 0) process.exitCode = 1;
  } finally {
    for (const w of [...workers, ...(floorWorker ? [floorWorker] : [])]) w.child.kill('SIGTERM');
    await Promise.race([Promise.all(workers.map((w) => w.exited)), sleep(10_000)]);
    if (flags.profile) {
      for (const { file, top } of topSelfTimeByThread(profileDir)) {
        console.log(`\nworker CPU profile, self time (node --cpu-prof), ${file}:`);
        for (const { fn, percent } of top) console.log(`  ${String(percent).padStart(5)} %  ${fn}`);
      }
    }
    await receiver.close();
    await h.close();
  }
}

async function physicalLimit(h: Harness, receiverUrl: string, body: string, expected: number) {
  const sender = createSender({
    timeoutMs: 30_000,
    maxResponseBytes: 16 * 1024,
    ca: trustedCertificates({ extraCaFiles: [h.certs.caFile] }),
    allowedCidrs: parseCidrs('127.0.0.1/32'),
    connectionsPerOrigin: CONCURRENCY,
  });
  const direct: number[] = [];
  let sent = 0;
  const limitStarted = now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (sent < expected) {
        const n = sent++;
        const t0 = now();
        await sender.send({
          url: `${receiverUrl}/limit/${n}`,
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
  const seconds = (now() - limitStarted) / 1000;
  await sender.close();
  return {
    deliveries: expected,
    seconds: round(seconds, 2),
    perSecond: round(expected / seconds),
    latencyMs: latencySummary(direct),
  };
}

function spawnFloorWorker(h: Harness): WorkerProcess {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', path.join(ROOT, 'scripts', 'floor', 'worker.ts')],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: h.infra.temporalAddress,
        FLOOR_TASK_QUEUE: `${h.taskQueue}-floor`,
        NODE_EXTRA_CA_CERTS: h.certs.caFile,
      },
    },
  );
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[floor worker] ${d.toString()}`));
  return { child, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

/** The floor: as many events as the engine run, each to the same W receiver paths, started as fast as allowed. */
async function measureFloor(
  h: Harness,
  receiver: Awaited<ReturnType<typeof startHarnessReceiver>>,
  floorWorker: WorkerProcess,
  servers: { temporal?: number; store?: number; postgres: boolean },
  expected: number,
) {
  const taskQueue = `${h.taskQueue}-floor`;
  let gone = false;
  void floorWorker.exited.then(() => (gone = true));
  const start = (key: string, docId: string, prefix: string) =>
    h.temporal.workflow.start<typeof floorEventWorkflow>('floorEventWorkflow', {
      taskQueue,
      workflowId: `floor-event:${key}`,
      args: [
        { eventKey: key, docId, urls: Array.from({ length: W }, (_, i) => `${receiver.url}${prefix}/${key}/${i}`) },
      ],
    });
  receiver.received.length = 0;
  await start('warm', 'floor-warm', '/floor-warm');
  const warmDeadline = Date.now() + 120_000;
  while (receiver.received.length < W && Date.now() < warmDeadline && !gone) await sleep(50);
  receiver.received.length = 0;
  const cpu = cpuMeter(
    { 'floor worker': floorWorker.child.pid, temporal: servers.temporal, store: servers.store },
    servers.postgres,
  );
  const count = expected / W;
  const publishedAt = new Map<string, number>();
  const started = now();
  const interval = RATE > 0 ? 1000 / RATE : 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: RATE > 0 ? 50 : 20 }, async () => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        if (interval) await sleep(Math.max(0, started + i * interval - now()));
        publishedAt.set(`f${i}`, now());
        await start(`f${i}`, `floor-doc-${i}`, '/floor');
      }
    }),
  );
  await waitForReceipts(receiver.received, expected, '/floor/', () => gone);
  const reading = cpu();
  const received = receiver.received.filter((r) => r.path.startsWith('/floor/'));
  const finished = Math.max(...received.map((r) => r.at));
  const latencies = received.map((r) => r.at - (publishedAt.get(r.path.split('/')[2] ?? '') ?? r.at));
  const seconds = (finished - started) / 1000;
  floorWorker.child.kill('SIGTERM');
  return {
    deliveries: expected,
    received: new Set(received.map((r) => r.deliveryId)).size,
    seconds: round(seconds, 2),
    perSecond: round(expected / seconds),
    latencyMs: latencySummary(latencies),
    cpuMsPerDelivery: cpuMsPerDelivery(reading, expected),
    processes: reading,
  };
}

function renderTable(report: {
  engine: {
    perSecond: number;
    latencyMs: ReturnType<typeof latencySummary>;
    cpuMsPerDelivery: ReturnType<typeof cpuMsPerDelivery>;
  };
  floor?: {
    perSecond: number;
    latencyMs: ReturnType<typeof latencySummary>;
    cpuMsPerDelivery: ReturnType<typeof cpuMsPerDelivery>;
  };
  limit: { perSecond: number; latencyMs: ReturnType<typeof latencySummary> };
  ratios: Record<string, number>;
  perDelivery: Awaited<ReturnType<typeof historyCounts>> & { storeOps: ReturnType<typeof storeOpsPerDelivery> };
  processes: CpuReading;
  verification: { expected: number; received: number; missing: number; duplicates: number; wrongWebhook: number };
}): string {
  const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '-');
  const row = (name: string, r: { perSecond: number; latencyMs: ReturnType<typeof latencySummary> }, cpu?: number) =>
    `| ${name} | ${r.perSecond} | ${fmt(r.latencyMs.p50)} | ${fmt(r.latencyMs.p95)} | ${fmt(r.latencyMs.p99)} | ${fmt(r.latencyMs.max)} | ${cpu ?? '-'} |`;
  const v = report.verification;
  const p = report.perDelivery;
  return [
    `| | deliveries/s | p50 ms | p95 ms | p99 ms | max ms | CPU ms/delivery |`,
    `| --- | ---: | ---: | ---: | ---: | ---: | ---: |`,
    row('engine (publish → receipt)', report.engine, report.engine.cpuMsPerDelivery.total),
    ...(report.floor
      ? [
          row(
            'Temporal floor (same shape, local activity, no store)',
            report.floor,
            report.floor.cpuMsPerDelivery.total,
          ),
        ]
      : []),
    row('physical limit (direct POST)', report.limit),
    ``,
    `ratios: ${Object.entries(report.ratios)
      .map(([k, n]) => `${k} ${n}`)
      .join(' · ')}`,
    `verification: ${v.expected} expected, ${v.received} received, ${v.missing} missing, ${v.duplicates} duplicates, ${v.wrongWebhook} at a wrong webhook`,
    ``,
    `| engine, per delivery | value |`,
    `| --- | ---: |`,
    ...Object.entries(report.engine.cpuMsPerDelivery.byProcess).map(([k, n]) => `| CPU ms, ${k} | ${n ?? '-'} |`),
    `| history events | ${p.historyEvents} |`,
    `| workflow tasks | ${p.workflowTasks} |`,
    `| activity tasks | ${p.activityTasks} |`,
    `| local activities | ${p.localActivities} |`,
    `| store commands | ${p.storeOps.total} (${Object.entries(p.storeOps.byCommand)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}) |`,
    ``,
    `| process | CPU s | peak RSS MB |`,
    `| --- | ---: | ---: |`,
    ...Object.entries(report.processes).map(([k, s]) => `| ${k} | ${s?.cpuSeconds ?? '-'} | ${s?.peakRssMb ?? '-'} |`),
  ].join('\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
