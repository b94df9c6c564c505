/**
 * What the benchmark and the chaos suite share: local servers (or the user's), a compiled worker in its own
 * process, an HTTPS receiver on 127.0.0.1 with a throwaway CA, and tenants with webhooks and documents.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createCA, createCert } from 'mkcert';
import { ObjectId, type MongoClient } from 'mongodb';
import type { EngineClient } from '../../src/client/engine-client';
import { composeEngineClient, composeSecretBox } from '../../src/composition';
import { loadConfig } from '../../src/config';
import { generateSecretsKey, type SecretBox } from '../../src/crypto/secret-box';
import { startLocalInfra, type LocalInfra } from '../../src/infra/local-infra';
import { LOCAL_POSTGRESQL_URL, postgresqlAnswers } from '../../src/infra/postgresql';
import { newId } from '../../src/ids';
import { storeFor, type Store } from '../../src/store';
import type { DocfloDocument, PlatformEvent, WebhookRecord } from '../../src/store/model';
import { connectMongo, ensureIndexes } from '../../src/store/mongo';
import { sealAuth } from '../../src/webhooks/webhook-secrets';

export const ROOT = path.resolve(__dirname, '..', '..');

export interface Harness {
  infra: LocalInfra;
  workDir: string;
  mongo: MongoClient;
  store: Store;
  dbName: string;
  secretsKey: string;
  secrets: SecretBox;
  certs: { caFile: string; cert: string; key: string; ca: string };
  temporal: Client;
  engine: EngineClient;
  taskQueue: string;
  storeOps: Map<string, number>;
  /** The local FerretDB's PostgreSQL database, when it runs on one (restarts must use it too). */
  ferretdbPostgresqlUrl?: string;
  close(): Promise<void>;
}

export type StoreChoice = 'auto' | 'sqlite' | 'postgresql';

/**
 * Which backend the local FerretDB runs on. `postgresql`: FERRETDB_POSTGRESQL_URL, else the local server;
 * `auto`: the same when it accepts a connection, else SQLite. Each run's MongoDB database is its own schema
 * there, dropped when the run ends. Returns undefined for SQLite.
 */
export async function chooseStoreBackend(choice: StoreChoice): Promise<string | undefined> {
  if (choice === 'sqlite') return undefined;
  const url = process.env.FERRETDB_POSTGRESQL_URL || LOCAL_POSTGRESQL_URL;
  if (choice === 'postgresql') return url;
  return (await postgresqlAnswers(url)) ? url : undefined;
}

export function parseStoreChoice(value: string | undefined): StoreChoice {
  if (value === undefined || value === 'auto' || value === 'sqlite' || value === 'postgresql') return value ?? 'auto';
  throw new Error(`--store must be auto, sqlite or postgresql (got ${value})`);
}

export async function startHarness(options: {
  retrySchedule: number[];
  say: (m: string) => void;
  dataDir?: string;
  /** The local FerretDB's PostgreSQL database (chooseStoreBackend); undefined: SQLite. */
  ferretdbPostgresqlUrl?: string;
}): Promise<Harness> {
  const workDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'docflo-harness-'));
  const mongoUri = process.env.MONGODB_URI || undefined;
  const infra = await startLocalInfra({
    temporalAddress: process.env.TEMPORAL_ADDRESS || undefined,
    mongoUri,
    ferretdbPostgresqlUrl: options.ferretdbPostgresqlUrl,
    namespace: 'default',
    withUi: false,
    dataDir: workDir,
    toolsDir: path.join(ROOT, '.tools'),
    searchPath: process.env.PATH ?? '',
    say: options.say,
  });
  // Store commands of this process (publishing, as POST /v1/events does), by name: the bench reports them.
  const storeOps = new Map<string, number>();
  const mongo = await connectMongo(infra.mongoUri, {
    maxPoolSize: 20,
    onCommand: (name) => storeOps.set(name, (storeOps.get(name) ?? 0) + 1),
  });
  const dbName = `harness_${crypto.randomBytes(4).toString('hex')}`;
  await ensureIndexes(mongo.db(dbName));
  const store = await storeFor(mongo.db(dbName));
  const secretsKey = generateSecretsKey();
  const certs = await loopbackCertificates(workDir, 'Docflo harness CA');
  const taskQueue = `harness-${crypto.randomBytes(4).toString('hex')}`;
  // The same variables the spawned production workers get (spawnWorker): one config, one wiring.
  const config = loadConfig({
    TEMPORAL_ADDRESS: infra.temporalAddress,
    MONGODB_URI: infra.mongoUri,
    MONGODB_DB: dbName,
    TEMPORAL_TASK_QUEUE: taskQueue,
    SECRETS_KEY: secretsKey,
    DELIVERY_RETRY_SCHEDULE: options.retrySchedule.join(','),
  });
  const connection = await Connection.connect({ address: infra.temporalAddress });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const engine = composeEngineClient(config, { temporal, store });
  return {
    infra,
    workDir,
    mongo,
    store,
    dbName,
    secretsKey,
    secrets: composeSecretBox(config),
    certs,
    temporal,
    engine,
    taskQueue,
    storeOps,
    ferretdbPostgresqlUrl: mongoUri ? undefined : options.ferretdbPostgresqlUrl,
    async close() {
      await connection.close();
      await mongo
        .db(dbName)
        .dropDatabase()
        .catch(() => undefined);
      await mongo.close();
      await infra.stop();
      if (!options.dataDir) fs.rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** A throwaway CA (its certificate written to `<dir>/ca.pem`) and a certificate for 127.0.0.1 signed by it. */
export async function loopbackCertificates(dir: string, organization: string): Promise<Harness['certs']> {
  const ca = await createCA({ organization, countryCode: 'US', state: 'X', locality: 'X', validity: 2 });
  const leaf = await createCert({ ca, domains: ['127.0.0.1'], validity: 2 });
  const caFile = path.join(dir, 'ca.pem');
  fs.writeFileSync(caFile, ca.cert);
  return { caFile, cert: leaf.cert, key: leaf.key, ca: ca.cert };
}

/** Compiles the engine (tsc + the workflow bundle) so workers run exactly what production runs. */
export async function buildEngine(say: (m: string) => void): Promise<void> {
  // Tests in parallel jest workers share dist/: one builds at a time, and with DOCFLO_BUILD_ONCE (set by the test
  // setup, one value per run) a build made for this run is not made again under a worker another test runs.
  const once = process.env.DOCFLO_BUILD_ONCE;
  const stamp = path.join(ROOT, 'dist', '.built-for');
  await underBuildLock(async () => {
    if (once && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === once) return;
    say('building the engine (npm run build)...');
    await new Promise<void>((resolve, reject) => {
      const p = spawn('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`npm run build exited with ${code}`))));
    });
    if (once) fs.writeFileSync(stamp, once);
  });
}

/** Runs `work` holding an exclusive lock file beside dist/ (one left by a process that died is taken after 5 min). */
async function underBuildLock(work: () => Promise<void>): Promise<void> {
  const lock = path.join(ROOT, '.build.lock');
  for (;;) {
    try {
      fs.closeSync(fs.openSync(lock, 'wx'));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 5 * 60_000) fs.rmSync(lock, { force: true });
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    await work();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

export interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
}

/** The production worker (dist/worker.js) on the harness's servers and task queue. */
export function spawnWorker(h: Harness, env: Record<string, string> = {}, nodeArgs: string[] = []): WorkerProcess {
  // HARNESS_WORKER_LOG: a file the workers' logs are appended to (to trace a run afterwards), at
  // HARNESS_WORKER_LOG_LEVEL (warn).
  const logFile = process.env.HARNESS_WORKER_LOG;
  const stdout = logFile ? fs.openSync(logFile, 'a') : 'ignore';
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'dist', 'worker.js')], {
    cwd: ROOT,
    stdio: ['ignore', stdout, 'pipe'],
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: h.infra.temporalAddress,
      MONGODB_URI: h.infra.mongoUri,
      MONGODB_DB: h.dbName,
      TEMPORAL_TASK_QUEUE: h.taskQueue,
      SECRETS_KEY: h.secretsKey,
      NODE_EXTRA_CA_CERTS: h.certs.caFile,
      DELIVERY_ALLOWED_CIDRS: '127.0.0.1/32',
      LOG_LEVEL: process.env.HARNESS_WORKER_LOG_LEVEL ?? 'warn',
      ...env,
    },
  });
  if (typeof stdout === 'number') fs.closeSync(stdout);
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[worker] ${d.toString()}`));
  return { child, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

export interface Received {
  deliveryId: string;
  path: string;
  docId: string;
  at: number;
}

/** An HTTPS receiver that records each request; `answer` decides the status (a fault injector). */
export async function startHarnessReceiver(
  certs: Harness['certs'],
  answer: () => number = () => 200,
): Promise<{ url: string; received: Received[]; server: https.Server; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = https.createServer({ cert: certs.cert, key: certs.key, keepAliveTimeout: 60_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = answer();
      if (status >= 200 && status < 300) {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { doc: { _id: string } };
        received.push({
          deliveryId: String(req.headers['x-docflo-delivery']),
          path: req.url ?? '',
          docId: body.doc._id,
          at: performance.timeOrigin + performance.now(),
        });
      }
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    received,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** T tenants with W webhooks each on one event type, all pointing at the receiver (path /w/<webhookId>). */
export async function createTenants(
  h: Harness,
  receiverUrl: string,
  tenants: number,
  webhooks: number,
  event: PlatformEvent,
) {
  const result: { tenantId: string; webhooks: WebhookRecord[] }[] = [];
  for (let t = 0; t < tenants; t++) {
    const tenantId = `tenant-${t}`;
    if (!(await h.store.tenants.findById(tenantId))) {
      await h.store.tenants.create({ _id: tenantId, name: tenantId, createdAt: new Date() });
    }
    const list: WebhookRecord[] = [];
    for (let w = 0; w < webhooks; w++) {
      const now = new Date();
      const id = newId('wh');
      const record: WebhookRecord = {
        _id: id,
        tenantId,
        url: `${receiverUrl}/w/${id}`,
        event,
        auth: sealAuth({ type: 'bearer', token: `token-${id}` }, h.secrets),
        signingSecret: h.secrets.seal(`whsec_${crypto.randomBytes(24).toString('base64')}`),
        status: 'active',
        createdAt: now,
        updatedAt: now,
      };
      await h.store.webhooks.insert(record);
      list.push(record);
    }
    result.push({ tenantId, webhooks: list });
  }
  return result;
}

export async function addDocument(h: Harness, tenantId: string): Promise<string> {
  const doc: DocfloDocument = {
    _id: new ObjectId(),
    tenantId,
    type: 'invoice',
    status: 'ANALYZED',
    createdAt: new Date(),
    updatedAt: new Date(),
    fields: {
      InvoiceId: `INV-${crypto.randomBytes(3).toString('hex')}`,
      InvoiceTotal: { Amount: 1500, CurrencyCode: 'USD' },
    },
  };
  await h.mongo.db(h.dbName).collection<DocfloDocument>('documents').insertOne(doc);
  return String(doc._id);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
