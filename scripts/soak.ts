/**
 * npm run soak: steady traffic for a while with a short retention, to see the store level off (issue 18).
 * One tenant with W webhooks, E events a second published on a clock for M minutes through the engine's client
 * (as POST /v1/events does), a production worker (dist/worker.js) whose purge Schedule runs every P seconds with
 * a retention of R seconds (RETENTION_DAYS=3, RETENTION_DAY=R/3). Every minute it prints the store's documents
 * (events, deliveries, attempts) and data size (dbStats), the deliveries received, and the store process's CPU.
 * Then, from the purge runs Temporal lists, delivery throughput while a purge runs and while none does.
 * It fails unless: every delivery arrived; in the last third of the run the documents and the data size each stay
 * within ±10 % of their mean; throughput during purges is within 10 % of without; the store's CPU per delivery
 * in the last minute is within 1.25× of the first steady minute (the first after one retention has passed).
 * Flags: --minutes 12 --rate 3 --webhooks 2 --retention 180 --purge 20 --store auto|sqlite|postgresql (auto: the
 * machine's PostgreSQL under FerretDB when it answers, as npm run bench does)
 * --out bench-results/soak.json
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { collections } from '../src/store/mongo';
import {
  addDocument,
  buildEngine,
  chooseStoreBackend,
  createTenants,
  parseStoreChoice,
  ROOT,
  spawnWorker,
  startHarness,
  startHarnessReceiver,
} from './lib/harness';
import { childPid, readProcStats } from './lib/proc-stats';

const { values: flags } = parseArgs({
  options: {
    minutes: { type: 'string', default: '12' },
    rate: { type: 'string', default: '3' },
    webhooks: { type: 'string', default: '2' },
    retention: { type: 'string', default: '180' },
    purge: { type: 'string', default: '20' },
    store: { type: 'string', default: 'auto' },
    out: { type: 'string', default: 'bench-results/soak.json' },
  },
});
const MINUTES = Number(flags.minutes);
const RATE = Number(flags.rate);
const WEBHOOKS = Number(flags.webhooks);
const RETENTION_S = Number(flags.retention);
const PURGE_S = Number(flags.purge);
const SAMPLE_MS = 60_000;
/** Documents the events cycle through: Docflo's own collection must not grow with the run. */
const DOCUMENTS = 50;
/** Publishes awaiting their answer at once, at most. */
const MAX_IN_FLIGHT = 50;

const say = (m: string): void => console.log(`[soak] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (a: number, b: number) => +((a / b - 1) * 100).toFixed(1);

interface Sample {
  minute: number;
  published: number;
  received: number;
  events: number;
  deliveries: number;
  attempts: number;
  documents: number;
  dataMB: number;
  /** The store process's CPU seconds in this minute, and per delivery received in it (ms). */
  storeCpuSeconds: number;
  storeCpuMsPerDelivery: number;
}

async function main(): Promise<void> {
  if (RETENTION_S % 3 !== 0) throw new Error('--retention must be a multiple of 3 seconds (3 retention days)');
  await buildEngine(say);
  const h = await startHarness({
    retrySchedule: [5, 30],
    say,
    ferretdbPostgresqlUrl: await chooseStoreBackend(parseStoreChoice(flags.store)),
  });
  const vacuum = vacuumLikeAutovacuum(h.ferretdbPostgresqlUrl);
  const storePid = childPid(h.infra.processes.find((p) => p.name === 'FerretDB')?.pid ?? 0);
  const receiver = await startHarnessReceiver(h.certs);
  const [tenant] = await createTenants(h, receiver.url, 1, WEBHOOKS, 'document.processed');
  const docs: string[] = [];
  for (let i = 0; i < DOCUMENTS; i++) docs.push(await addDocument(h, tenant.tenantId));
  const worker = spawnWorker(h, {
    RETENTION_DAYS: '3',
    RETENTION_DAY: `${RETENTION_S / 3}s`,
    PURGE_INTERVAL: `${PURGE_S}s`,
    RECONCILE_INTERVAL: '60s',
  });
  const db = h.mongo.db(h.dbName);
  const c = collections(db);
  const started = Date.now();
  const until = started + MINUTES * 60_000;
  let published = 0;
  let publishErrors = 0;
  const samples: Sample[] = [];
  let lastCpu = (storePid && readProcStats(storePid)?.cpuSeconds) || 0;
  let lastReceived = 0;
  const sample = async (): Promise<void> => {
    const cpu = (storePid && readProcStats(storePid)?.cpuSeconds) || 0;
    const received = receiver.received.length;
    const stats = (await db.stats()) as { dataSize?: number };
    const [events, deliveries, attempts] = [
      await c.events.countDocuments({}),
      await c.deliveries.countDocuments({}),
      await c.attempts.countDocuments({}),
    ];
    const s: Sample = {
      minute: Math.round((Date.now() - started) / 60_000),
      published,
      received,
      events,
      deliveries,
      attempts,
      documents: events + deliveries + attempts,
      dataMB: +((stats.dataSize ?? 0) / 1e6).toFixed(2),
      storeCpuSeconds: +(cpu - lastCpu).toFixed(2),
      storeCpuMsPerDelivery: +(((cpu - lastCpu) * 1000) / Math.max(1, received - lastReceived)).toFixed(2),
    };
    lastCpu = cpu;
    lastReceived = received;
    samples.push(s);
    say(
      `min ${s.minute}: published ${s.published} received ${s.received} | documents ${s.documents} (events ${events}, deliveries ${deliveries}, attempts ${attempts}) | data ${s.dataMB} MB | store CPU ${s.storeCpuSeconds} s, ${s.storeCpuMsPerDelivery} ms/delivery`,
    );
  };
  say(
    `${MINUTES} min, ${RATE} events/s to ${WEBHOOKS} webhooks (${RATE * WEBHOOKS} deliveries/s), retention ${RETENTION_S} s, purge every ${PURGE_S} s`,
  );
  // One sample at each full minute, the last as publishing stops.
  const sampling = (async () => {
    for (let minute = 1; minute <= MINUTES; minute++) {
      await sleep(started + minute * SAMPLE_MS - Date.now());
      await sample();
    }
  })();
  // Published on a clock, not one after the other: a slow answer must not lower the rate.
  const inFlight = new Set<Promise<void>>();
  while (Date.now() < until) {
    const due = started + (published / RATE) * 1000;
    if (Date.now() < due) await sleep(due - Date.now());
    if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
    const n = published++;
    const publishing: Promise<void> = h.engine
      .publishEvent({
        tenantId: tenant.tenantId,
        event: 'document.processed',
        eventId: `soak-${n}`,
        documentId: docs[n % DOCUMENTS],
      })
      .then(
        () => undefined,
        (err: unknown) => {
          publishErrors++;
          say(`publishing soak-${n} failed: ${(err as Error).message}`);
        },
      )
      .finally(() => inFlight.delete(publishing));
    inFlight.add(publishing);
  }
  await Promise.all(inFlight);
  await sampling;
  if (vacuum) clearInterval(vacuum);
  const publishedFor = Date.now() - started;

  // Throughput while a purge runs and while none does, over the steady part (after one retention).
  const purges: { from: number; to: number }[] = [];
  for await (const w of h.temporal.workflow.list({ query: `WorkflowType = 'purgeWorkflow'` })) {
    if (w.taskQueue === h.taskQueue && w.closeTime)
      purges.push({ from: w.startTime.getTime(), to: w.closeTime.getTime() });
  }
  const steadyFrom = started + (RETENTION_S + PURGE_S) * 1000;
  const steadyTo = started + publishedFor;
  const inPurge = (at: number) => purges.some((p) => at >= p.from && at <= p.to);
  let purgeMs = 0;
  for (const p of purges) purgeMs += Math.max(0, Math.min(p.to, steadyTo) - Math.max(p.from, steadyFrom));
  const steady = receiver.received.filter((r) => r.at >= steadyFrom && r.at <= steadyTo);
  const duringPurge = steady.filter((r) => inPurge(r.at)).length;
  const throughputDuring = duringPurge / Math.max(1, purgeMs / 1000);
  const throughputWithout = (steady.length - duringPurge) / Math.max(1, (steadyTo - steadyFrom - purgeMs) / 1000);

  say('publishing stopped; waiting for the last deliveries');
  const expected = (published - publishErrors) * WEBHOOKS;
  const deadline = Date.now() + 120_000;
  while (receiver.received.length < expected && Date.now() < deadline) await sleep(1_000);
  const unique = new Set(receiver.received.map((r) => r.deliveryId)).size;

  const lastThird = samples.slice(-Math.max(1, Math.floor(samples.length / 3)));
  const spread = (pick: (s: Sample) => number) => {
    const values = lastThird.map(pick);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    return { mean: Math.round(mean * 100) / 100, worst: Math.max(...values.map((v) => Math.abs(pct(v, mean)))) };
  };
  const documents = spread((s) => s.documents);
  const data = spread((s) => s.dataMB);
  const firstSteady = samples.find((s) => s.minute * 60 >= RETENTION_S + 60) ?? samples[0];
  const lastMinute = samples[samples.length - 1];
  const cpuRatio = lastMinute.storeCpuMsPerDelivery / Math.max(0.01, firstSteady.storeCpuMsPerDelivery);
  const report = {
    command: `npm run soak -- --minutes ${MINUTES} --rate ${RATE} --webhooks ${WEBHOOKS} --retention ${RETENTION_S} --purge ${PURGE_S} --store ${flags.store}`,
    published,
    publishErrors,
    expectedDeliveries: expected,
    receivedUnique: unique,
    receivedTotal: receiver.received.length,
    lastThird: { documents, dataMB: data },
    purges: { runs: purges.length, secondsInSteadyPart: Math.round(purgeMs / 1000) },
    throughput: {
      duringPurges: +throughputDuring.toFixed(2),
      withoutPurges: +throughputWithout.toFixed(2),
      differencePercent: pct(throughputDuring, throughputWithout),
    },
    storeCpuMsPerDelivery: {
      firstSteadyMinute: firstSteady.storeCpuMsPerDelivery,
      lastMinute: lastMinute.storeCpuMsPerDelivery,
      ratio: +cpuRatio.toFixed(2),
    },
    samples,
  };
  fs.mkdirSync(path.dirname(path.resolve(ROOT, flags.out)), { recursive: true });
  fs.writeFileSync(path.resolve(ROOT, flags.out), JSON.stringify(report, null, 2));

  console.log(`\n${report.command}\n`);
  console.log(
    '| min | published | received | events | deliveries | attempts | documents | data MB | store CPU ms/delivery |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const s of samples) {
    console.log(
      `| ${s.minute} | ${s.published} | ${s.received} | ${s.events} | ${s.deliveries} | ${s.attempts} | ${s.documents} | ${s.dataMB} | ${s.storeCpuMsPerDelivery} |`,
    );
  }
  console.log(`
delivered: ${unique} of ${expected}${publishErrors ? ` (${publishErrors} publishes failed)` : ''}
last third: documents mean ${documents.mean}, worst ${documents.worst} % off; data mean ${data.mean} MB, worst ${data.worst} % off
purges: ${purges.length} runs, ${Math.round(purgeMs / 1000)} s of the steady part; throughput during ${report.throughput.duringPurges}/s, without ${report.throughput.withoutPurges}/s (${report.throughput.differencePercent} %)
store CPU per delivery: ${firstSteady.storeCpuMsPerDelivery} ms (minute ${firstSteady.minute}) → ${lastMinute.storeCpuMsPerDelivery} ms (minute ${lastMinute.minute}): ${report.storeCpuMsPerDelivery.ratio}×`);
  const failures: string[] = [];
  if (publishErrors > 0) failures.push(`${publishErrors} publishes failed`);
  if (unique < expected) failures.push(`${expected - unique} deliveries never arrived`);
  if (documents.worst > 10) failures.push(`documents ${documents.worst} % off their last-third mean`);
  if (data.worst > 10) failures.push(`data size ${data.worst} % off its last-third mean`);
  if (Math.abs(report.throughput.differencePercent) > 10)
    failures.push('throughput during purges differs by more than 10 %');
  if (cpuRatio > 1.25) failures.push(`store CPU per delivery grew ${cpuRatio.toFixed(2)}×`);
  console.log(failures.length === 0 ? 'levelled off: ok' : `FAILED: ${failures.join('; ')}`);

  worker.child.kill('SIGTERM');
  await worker.exited;
  await receiver.close();
  for (const schedule of ['purge', 'reconcile']) {
    await h.temporal.schedule
      .getHandle(`docflo-${schedule}:${h.taskQueue}`)
      .delete()
      .catch(() => undefined);
  }
  await h.close();
  if (failures.length > 0) process.exitCode = 1;
}

/**
 * A PostgreSQL under FerretDB with autovacuum off (this machine's is) never makes the space of deleted rows
 * reusable, so the data size grows with every write whatever the engine keeps. Where it is off, the soak runs
 * VACUUM every 30 s, as autovacuum would (its default naptime is a minute), and says so.
 */
function vacuumLikeAutovacuum(url: string | undefined): NodeJS.Timeout | undefined {
  if (!url) return undefined;
  let setting: string;
  try {
    setting = execFileSync('psql', [url, '-Atc', 'show autovacuum'], { encoding: 'utf8' }).trim();
  } catch {
    say('could not ask PostgreSQL whether autovacuum is on (no psql): the data size includes deleted rows');
    return undefined;
  }
  if (setting === 'on') return undefined;
  say('this PostgreSQL has autovacuum off: the soak runs VACUUM every 30 s, as autovacuum would');
  return setInterval(() => execFile('psql', [url, '-qc', 'VACUUM'], () => undefined), 30_000);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
