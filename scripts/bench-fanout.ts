/**
 * npm run bench:fanout (or npm run bench -- --shape fanout): one tenant with many webhooks on one event type,
 * several events, through `npm run dev` exactly as a user runs it (its own Temporal dev server, embedded
 * FerretDB, worker and API in one process, on free ports). Webhooks are created and events published through
 * the API; an HTTPS receiver on 127.0.0.1 counts what arrives.
 * Reports deliveries/s, publish → last receipt, the event workflows' runs (continue-as-new) and longest
 * history, the API's latency while the fan-out runs (GET and PATCH of a webhook, /readyz), and the dev
 * process tree's peak RSS. Checks every delivery arrived exactly once and every record ends `succeeded`, that
 * each event workflow continued as new as docs/architecture.md says, and that nothing stalled; exits 1 if not.
 * Flags: --webhooks 1200 --events 3 --stall 180 (seconds without a receipt that count as a stall)
 * --store sqlite|postgresql (FERRETDB_POSTGRESQL_URL, or the machine's PostgreSQL) --out bench-results/fanout.json
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import { MongoClient } from 'mongodb';
import { findFreePort } from '../src/infra/ports';
import { LOCAL_POSTGRESQL_URL } from '../src/infra/postgresql';
import { eventWorkflowId } from '../src/workflows/ids';
import { loopbackCertificates, percentile, ROOT, startHarnessReceiver } from './lib/harness';

const { values: flags } = parseArgs({
  options: {
    webhooks: { type: 'string', default: '1200' },
    events: { type: 'string', default: '3' },
    stall: { type: 'string', default: '180' },
    store: { type: 'string', default: 'sqlite' },
    out: { type: 'string', default: 'bench-results/fanout.json' },
  },
});
const WEBHOOKS = Number(flags.webhooks);
const EVENTS = Number(flags.events);
const STALL_MS = Number(flags.stall) * 1000;
if (flags.store !== 'sqlite' && flags.store !== 'postgresql') throw new Error('--store must be sqlite or postgresql');
/** Children an event workflow starts per run before continuing as new (CHILDREN_PER_RUN). */
const CHILDREN_PER_RUN = 1000;

/** A database of its own: on PostgreSQL the dev store outlives the run, and is dropped at its end. */
const DB_NAME = `fanout${Date.now().toString(36)}`;

const say = (m: string): void => console.log(`[fanout] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, digits = 1) => +n.toFixed(digits);

/** A delivery the receiver got more than once, as the store and the engine's log tell it. */
interface DuplicatedDelivery {
  deliveryId: string;
  received: number;
  attempts: Record<string, unknown>[];
  log: string[];
}
/** An attempt record's fields that tell who sent it and how it ended (no headers). */
const ATTEMPT_FIELDS = {
  attempt: 1,
  trigger: 1,
  state: 1,
  claimedByTry: 1,
  delivered: 1,
  statusCode: 1,
  errorClass: 1,
  startedAt: 1,
  leaseUntil: 1,
  createdAt: 1,
};

interface DevEnv {
  API: string;
  TENANT_ID: string;
  TENANT_KEY: string;
  PLATFORM_KEY: string;
  DOCUMENT_ID: string;
}

interface DevProcess {
  child: ChildProcess;
  env: DevEnv;
  ports: Record<string, number>;
  output: () => string;
  stop(): Promise<void>;
}

async function startDev(workDir: string, caFile: string): Promise<DevProcess> {
  const dataDir = path.join(workDir, '.data');
  const ports: Record<string, number> = {};
  for (const name of ['API_PORT', 'DEV_RECEIVER_PORT', 'TEMPORAL_PORT', 'TEMPORAL_UI_PORT', 'FERRETDB_PORT'])
    ports[name] = await findFreePort();
  ports.METRICS_PORT = await findFreePort();
  ports.TEMPORAL_METRICS_PORT = await findFreePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    DATA_DIR: dataDir,
    MONGODB_DB: DB_NAME,
    LOG_LEVEL: 'warn',
    // What a tenant with this many webhooks needs: the cap raised, and room for the set-up's requests.
    WEBHOOKS_PER_TENANT_MAX: String(WEBHOOKS + 10),
    API_RATE_LIMIT_PER_MINUTE: '1000000',
    NODE_EXTRA_CA_CERTS: caFile,
  };
  for (const name of ['TEMPORAL_ADDRESS', 'MONGODB_URI', 'ADMIN_API_KEY', 'PLATFORM_API_KEY', 'SECRETS_KEY'])
    delete env[name];
  if (flags.store === 'postgresql') env.FERRETDB_POSTGRESQL_URL ||= LOCAL_POSTGRESQL_URL;
  else delete env.FERRETDB_POSTGRESQL_URL;
  let output = '';
  const child = spawn('npm', ['run', 'dev'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 15 * 60_000; // a first run builds the servers
  while (!output.includes('Docflo Webhooks is running')) {
    const failure =
      child.exitCode !== null
        ? `npm run dev exited with ${child.exitCode}`
        : Date.now() > deadline
          ? 'npm run dev did not come up'
          : undefined;
    if (failure) {
      stopGroup(child.pid);
      throw new Error(`${failure}:\n${output}`);
    }
    await sleep(200);
  }
  const values: Record<string, string> = {};
  for (const line of fs.readFileSync(path.join(dataDir, 'dev.env'), 'utf8').split('\n')) {
    const m = /^export (\w+)='(.*)'$/.exec(line);
    if (m?.[1]) values[m[1]] = m[2] ?? '';
  }
  return {
    child,
    env: values as unknown as DevEnv,
    ports,
    output: () => output,
    async stop() {
      // npm may have exited before the servers it started: the whole group is stopped either way.
      const exited = child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined;
      if (!stopGroup(child.pid, 'SIGINT')) return;
      await Promise.race([exited, sleep(30_000)]);
      await sleep(2_000);
      stopGroup(child.pid, 'SIGKILL');
    },
  };
}

/** Signals the process group `pid` leads; false when it is gone already. */
function stopGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  if (!pid) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // ESRCH: no such group
  }
}

async function call(
  api: string,
  key: string,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${api}${route}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

/** RSS of every process in the dev process group (npm, ts-node, Temporal, FerretDB), summed. */
function groupRssMb(pgid: number): number {
  let kb = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue;
      kb += Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return kb / 1024;
}

/** Requests an operator makes while the fan-out runs: GET and PATCH of a webhook, and /readyz. */
function probeApi(dev: DevProcess, webhookId: string) {
  const samples: Record<'get' | 'patch' | 'readyz', number[]> = { get: [], patch: [], readyz: [] };
  const failures: string[] = [];
  let running = true;
  const unavailable: Record<keyof typeof samples, number> = { get: 0, patch: 0, readyz: 0 };
  const timed = async (kind: keyof typeof samples, request: () => Promise<number>, ok: number) => {
    const started = performance.now();
    const status = await request().catch(() => 0);
    samples[kind].push(performance.now() - started);
    // A 503 (+ Retry-After) is the API's truthful "the store is too busy: retry" (SQLite's one write lock,
    // /readyz past MONGODB_TIMEOUT_MS): a figure, not a failure. Anything else is a failure.
    if (status === 503) unavailable[kind]++;
    else if (status !== ok) failures.push(`${kind} answered ${status}`);
  };
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const { API, TENANT_KEY } = dev.env;
      await timed('get', async () => (await call(API, TENANT_KEY, 'GET', `/v1/webhooks/${webhookId}`)).status, 200);
      const retrySchedule = i % 2 === 0 ? [5, 300] : [10, 600];
      await timed(
        'patch',
        async () => (await call(API, TENANT_KEY, 'PATCH', `/v1/webhooks/${webhookId}`, { retrySchedule })).status,
        200,
      );
      await timed('readyz', async () => (await fetch(`${API}/readyz`)).status, 200);
      await sleep(500);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const summary = (values: number[]) => {
        const sorted = [...values].sort((a, b) => a - b);
        return { n: sorted.length, p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) };
      };
      return {
        getMs: summary(samples.get),
        patchMs: summary(samples.patch),
        readyzMs: summary(samples.readyz),
        answered503: unavailable,
        failures: failures.slice(0, 10),
        failureCount: failures.length,
      };
    },
  };
}

async function eventRuns(temporalAddress: string, tenantId: string, eventIds: string[]) {
  const connection = await Connection.connect({ address: temporalAddress });
  try {
    const client = new Client({ connection });
    const perEvent: { eventId: string; runs: number; longestHistory: number }[] = [];
    for (const eventId of eventIds) {
      const workflowId = eventWorkflowId(tenantId, eventId);
      let runs = 0;
      let longestHistory = 0;
      // Follow the chain from the first run: each continued-as-new run names the next.
      let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
      const first = await client.workflow.getHandle(workflowId, runId).describe();
      runId = first.raw.workflowExecutionInfo?.firstRunId ?? runId;
      while (runId) {
        const history: History = await client.workflow.getHandle(workflowId, runId).fetchHistory();
        runs++;
        const events = history.events ?? [];
        longestHistory = Math.max(longestHistory, events.length);
        const last = events[events.length - 1];
        runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
      }
      perEvent.push({ eventId, runs, longestHistory });
    }
    return perEvent;
  } finally {
    await connection.close();
  }
}

async function main(): Promise<void> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'docflo-fanout-'));
  const certs = await loopbackCertificates(workDir, 'Docflo fanout CA');
  const caFile = certs.caFile;
  const receiver = await startHarnessReceiver(certs);
  say(`starting npm run dev (FerretDB on ${flags.store === 'postgresql' ? 'PostgreSQL' : 'SQLite'})`);
  const problems: string[] = [];
  let dev: DevProcess;
  try {
    dev = await startDev(workDir, caFile);
  } catch (err) {
    await receiver.close();
    fs.rmSync(workDir, { recursive: true, force: true });
    throw err;
  }
  let peakRssMb = 0;
  const rssTimer = setInterval(() => (peakRssMb = Math.max(peakRssMb, groupRssMb(dev.child.pid ?? 0))), 1000);
  try {
    const { API, TENANT_KEY, PLATFORM_KEY, TENANT_ID, DOCUMENT_ID } = dev.env;
    say(`creating ${WEBHOOKS} webhooks through the API`);
    const setupStarted = performance.now();
    const webhookIds: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < WEBHOOKS) {
          next++;
          const res = await call(API, TENANT_KEY, 'POST', '/v1/webhooks', {
            url: `${receiver.url}/w/${next}`,
            event: 'document.processed',
          });
          if (res.status !== 201)
            throw new Error(`creating a webhook answered ${res.status}: ${JSON.stringify(res.json)}`);
          webhookIds.push((res.json as { id: string }).id);
        }
      }),
    );
    const spare = await call(API, TENANT_KEY, 'POST', '/v1/webhooks', {
      url: `${receiver.url}/spare`,
      event: 'document.approved',
    });
    const spareId = (spare.json as { id: string }).id;
    say(`created in ${round((performance.now() - setupStarted) / 1000)} s; publishing ${EVENTS} events`);

    const probe = probeApi(dev, spareId);
    const publishedAt = performance.timeOrigin + performance.now();
    const eventIds: string[] = [];
    for (let i = 0; i < EVENTS; i++) {
      const eventId = `fanout-${Date.now()}-${i}`;
      const res = await call(API, PLATFORM_KEY, 'POST', '/v1/events', {
        eventId,
        tenantId: TENANT_ID,
        event: 'document.processed',
        documentId: DOCUMENT_ID,
      });
      if (res.status !== 202) throw new Error(`publishing answered ${res.status}: ${JSON.stringify(res.json)}`);
      eventIds.push(eventId);
    }
    const expected = WEBHOOKS * EVENTS;
    let lastCount = 0;
    let lastProgress = Date.now();
    const distinct = () => new Set(receiver.received.map((r) => r.deliveryId)).size;
    let lastReport = Date.now();
    while (distinct() < expected) {
      const count = distinct();
      if (Date.now() - lastReport >= 30_000) {
        lastReport = Date.now();
        say(
          `${count}/${expected} delivered after ${round((performance.timeOrigin + performance.now() - publishedAt) / 1000)} s`,
        );
      }
      if (count !== lastCount) {
        lastCount = count;
        lastProgress = Date.now();
      }
      if (Date.now() - lastProgress > STALL_MS) {
        problems.push(`stalled: no new delivery for ${STALL_MS / 1000} s at ${count} of ${expected}`);
        break;
      }
      if (dev.child.exitCode !== null) {
        problems.push(`npm run dev exited with ${dev.child.exitCode}`);
        break;
      }
      await sleep(500);
    }
    // A duplicate would come after the last first copy: give it time to show.
    await sleep(5_000);
    const lastReceipt = Math.max(...receiver.received.map((r) => r.at));
    const api = await probe.stop();
    const seconds = (lastReceipt - publishedAt) / 1000;
    const counts = new Map<string, number>();
    for (const r of receiver.received) counts.set(r.deliveryId, (counts.get(r.deliveryId) ?? 0) + 1);
    const duplicates = [...counts.values()].reduce((n, c) => n + c - 1, 0);
    const missing = expected - counts.size;
    if (missing > 0) problems.push(`${missing} deliveries never arrived`);
    if (duplicates > 0) problems.push(`${duplicates} deliveries arrived more than once`);
    if (api.failureCount > 0) problems.push(`${api.failureCount} API probes failed: ${api.failures.join('; ')}`);

    // Every delivery record ends `succeeded` (the store as the engine wrote it).
    const mongo = await MongoClient.connect(`mongodb://127.0.0.1:${dev.ports.FERRETDB_PORT}/`);
    const statuses = new Map<string, number>();
    let records = 0;
    const duplicated: DuplicatedDelivery[] = [];
    try {
      const deliveries = mongo.db(DB_NAME).collection<{ status: string; eventKey: string }>('deliveries');
      const recordDeadline = Date.now() + 120_000;
      for (;;) {
        statuses.clear();
        records = 0;
        for (const eventId of eventIds) {
          for (const d of await deliveries.find({ eventKey: `${TENANT_ID}:${eventId}` }).toArray()) {
            statuses.set(d.status, (statuses.get(d.status) ?? 0) + 1);
            records++;
          }
        }
        if (statuses.get('succeeded') === expected || Date.now() > recordDeadline) break;
        await sleep(2_000);
      }
      // What each duplicate's attempts say, and what the engine logged of it: enough to tell how it came about.
      const attempts = mongo.db(DB_NAME).collection<Record<string, unknown>>('delivery_attempts');
      const log = dev.output().split('\n');
      for (const [deliveryId, count] of counts) {
        if (count < 2 || duplicated.length >= 5) continue;
        duplicated.push({
          deliveryId,
          received: count,
          attempts: (await attempts.find({ deliveryId }, { projection: ATTEMPT_FIELDS }).toArray()).map(
            ({ _id, ...rest }) => rest,
          ),
          log: log.filter((line) => line.includes(deliveryId)).slice(-20),
        });
      }
    } finally {
      await mongo
        .db(DB_NAME)
        .dropDatabase()
        .catch(() => undefined);
      await mongo.close();
    }
    if (statuses.get('succeeded') !== expected)
      problems.push(
        `records: ${JSON.stringify(Object.fromEntries(statuses))} of ${records}, not ${expected} succeeded`,
      );

    const runs = await eventRuns(`127.0.0.1:${dev.ports.TEMPORAL_PORT}`, TENANT_ID, eventIds);
    // A run continues as new once it has started 1,000 and its last page was full, so 1,000 makes 2 runs.
    const expectedRuns = Math.floor(WEBHOOKS / CHILDREN_PER_RUN) + 1;
    for (const r of runs)
      if (r.runs !== expectedRuns) problems.push(`event ${r.eventId} ran ${r.runs} runs, not ${expectedRuns}`);

    const result = {
      shape: { tenants: 1, webhooks: WEBHOOKS, events: EVENTS, store: `FerretDB on ${flags.store}` },
      deliveries: { expected, received: counts.size, missing, duplicates, records: Object.fromEntries(statuses) },
      deliveriesPerSecond: round(counts.size / seconds),
      publishToLastReceiptSeconds: round(seconds),
      eventWorkflows: {
        continueAsNew: runs.reduce((n, r) => n + r.runs - 1, 0),
        runsPerEvent: runs.map((r) => r.runs),
        longestHistoryEvents: Math.max(...runs.map((r) => r.longestHistory)),
      },
      apiDuringFanOut: api,
      duplicated,
      peakRssMb: Math.round(peakRssMb),
      problems,
    };
    fs.mkdirSync(path.dirname(path.resolve(ROOT, flags.out)), { recursive: true });
    fs.writeFileSync(path.resolve(ROOT, flags.out), JSON.stringify(result, null, 2));
    console.log(JSON.stringify(result, null, 2));
    say(
      `${counts.size}/${expected} delivered in ${round(seconds)} s (${result.deliveriesPerSecond}/s); ` +
        `event runs ${runs.map((r) => r.runs).join(',')}; API GET p50/p99 ${api.getMs.p50}/${api.getMs.p99} ms, ` +
        `PATCH ${api.patchMs.p50}/${api.patchMs.p99} ms; peak RSS ${result.peakRssMb} MB`,
    );
  } catch (err) {
    problems.push(err instanceof Error ? err.message : String(err));
  } finally {
    clearInterval(rssTimer);
    await dev.stop();
    await receiver.close();
    // The whole dev log beside the figures: what a failure needs to be understood.
    fs.mkdirSync(path.dirname(path.resolve(ROOT, flags.out)), { recursive: true });
    fs.writeFileSync(path.resolve(ROOT, flags.out.replace(/\.json$/, '') + '.dev.log'), dev.output());
    if (problems.length > 0) {
      console.error(
        `[fanout] FAILED:\n  ${problems.join('\n  ')}\n--- last dev output ---\n${dev.output().slice(-4000)}`,
      );
      process.exitCode = 1;
    } else {
      say('every delivery arrived once, every record succeeded, every event workflow ran the runs expected');
    }
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
