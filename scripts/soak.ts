/**
 * npm run soak: steady traffic for a while with a short retention, to see the store level off (issue 18).
 * One tenant with W webhooks, E events a second published for M minutes through the engine's client (as
 * POST /v1/events does), a production worker (dist/worker.js) whose purge Schedule runs every P seconds with a
 * retention of R seconds (RETENTION_DAYS=3, RETENTION_DAY=R/3). Every 30 s it samples the records in the store
 * and its size (dbStats). Prints the samples, and fails unless every delivery arrived, the records of the last
 * third of the run stay within what the retention allows (W × E × (R + P + 60 s) deliveries), and they stop
 * growing: the last third's mean is within 20 % of the middle third's.
 * Flags: --minutes 12 --rate 5 --webhooks 2 --retention 90 --purge 30 --store sqlite|postgresql|auto
 * --out bench-results/soak.json
 */
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

const { values: flags } = parseArgs({
  options: {
    minutes: { type: 'string', default: '12' },
    rate: { type: 'string', default: '5' },
    webhooks: { type: 'string', default: '2' },
    retention: { type: 'string', default: '90' },
    purge: { type: 'string', default: '30' },
    store: { type: 'string', default: 'sqlite' },
    out: { type: 'string', default: 'bench-results/soak.json' },
  },
});
const MINUTES = Number(flags.minutes);
const RATE = Number(flags.rate);
const WEBHOOKS = Number(flags.webhooks);
const RETENTION_S = Number(flags.retention);
const PURGE_S = Number(flags.purge);
const SAMPLE_MS = 30_000;
/** Documents the events cycle through: Docflo's own collection must not grow with the run. */
const DOCUMENTS = 50;

const say = (m: string): void => console.log(`[soak] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sample {
  atSeconds: number;
  published: number;
  received: number;
  events: number;
  deliveries: number;
  attempts: number;
  dataMB: number;
  storageMB: number;
}

async function main(): Promise<void> {
  if (RETENTION_S % 3 !== 0) throw new Error('--retention must be a multiple of 3 seconds (3 retention days)');
  await buildEngine(say);
  const h = await startHarness({
    retrySchedule: [5, 30],
    say,
    ferretdbPostgresqlUrl: await chooseStoreBackend(parseStoreChoice(flags.store)),
  });
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
  const c = collections(h.mongo.db(h.dbName));
  const started = Date.now();
  const until = started + MINUTES * 60_000;
  let published = 0;
  const samples: Sample[] = [];
  const sample = async (): Promise<void> => {
    const stats = (await h.mongo.db(h.dbName).stats()) as { dataSize?: number; storageSize?: number };
    const s: Sample = {
      atSeconds: Math.round((Date.now() - started) / 1000),
      published,
      received: receiver.received.length,
      events: await c.events.countDocuments({}),
      deliveries: await c.deliveries.countDocuments({}),
      attempts: await c.attempts.countDocuments({}),
      dataMB: +((stats.dataSize ?? 0) / 1e6).toFixed(2),
      storageMB: +((stats.storageSize ?? 0) / 1e6).toFixed(2),
    };
    samples.push(s);
    say(
      `${s.atSeconds}s published ${s.published} received ${s.received} | events ${s.events} deliveries ${s.deliveries} attempts ${s.attempts} | data ${s.dataMB} MB storage ${s.storageMB} MB`,
    );
  };
  say(
    `${MINUTES} min, ${RATE} events/s to ${WEBHOOKS} webhooks (${RATE * WEBHOOKS} deliveries/s), retention ${RETENTION_S} s, purge every ${PURGE_S} s`,
  );
  let nextSample = started + SAMPLE_MS;
  while (Date.now() < until) {
    const due = started + (published / RATE) * 1000;
    if (Date.now() < due) await sleep(due - Date.now());
    await h.engine.publishEvent({
      tenantId: tenant.tenantId,
      event: 'document.processed',
      eventId: `soak-${published}`,
      documentId: docs[published % DOCUMENTS],
    });
    published++;
    if (Date.now() >= nextSample) {
      nextSample += SAMPLE_MS;
      await sample();
    }
  }
  say('publishing stopped; waiting for the last deliveries');
  const expected = published * WEBHOOKS;
  const deadline = Date.now() + 120_000;
  while (receiver.received.length < expected && Date.now() < deadline) await sleep(1_000);
  await sample();

  const unique = new Set(receiver.received.map((r) => r.deliveryId)).size;
  const during = samples.slice(0, -1);
  const third = Math.max(1, Math.floor(during.length / 3));
  const mean = (xs: Sample[]) => xs.reduce((a, s) => a + s.deliveries, 0) / Math.max(1, xs.length);
  const middle = mean(during.slice(third, 2 * third));
  const last = mean(during.slice(-third));
  const bound = RATE * WEBHOOKS * (RETENTION_S + PURGE_S + 60);
  const peakLast = Math.max(...during.slice(-third).map((s) => s.deliveries));
  const report = {
    command: `npm run soak -- --minutes ${MINUTES} --rate ${RATE} --webhooks ${WEBHOOKS} --retention ${RETENTION_S} --purge ${PURGE_S} --store ${flags.store}`,
    published,
    expectedDeliveries: expected,
    receivedUnique: unique,
    receivedTotal: receiver.received.length,
    deliveriesBound: bound,
    lastThirdPeak: peakLast,
    middleThirdMean: Math.round(middle),
    lastThirdMean: Math.round(last),
    samples,
  };
  fs.mkdirSync(path.dirname(path.resolve(ROOT, flags.out)), { recursive: true });
  fs.writeFileSync(path.resolve(ROOT, flags.out), JSON.stringify(report, null, 2));
  console.log(`\n${report.command}\n`);
  console.log('| s | published | received | events | deliveries | attempts | data MB | storage MB |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const s of samples) {
    console.log(
      `| ${s.atSeconds} | ${s.published} | ${s.received} | ${s.events} | ${s.deliveries} | ${s.attempts} | ${s.dataMB} | ${s.storageMB} |`,
    );
  }
  const failures: string[] = [];
  if (unique < expected) failures.push(`${expected - unique} deliveries never arrived`);
  if (peakLast > bound)
    failures.push(`the last third held ${peakLast} deliveries, above the ${bound} the retention allows`);
  if (last > middle * 1.2)
    failures.push(`still growing: last third ${Math.round(last)} vs middle third ${Math.round(middle)}`);
  console.log(
    `\ndelivered ${unique}/${expected}; deliveries held: middle third ${Math.round(middle)}, last third ${Math.round(last)} (peak ${peakLast}, bound ${bound})`,
  );
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

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
