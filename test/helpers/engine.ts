/**
 * A whole engine for one test file on the shared servers: its own database, its own task queue, a worker
 * running the real workflows and activities, and the client module the API uses.
 */
import crypto from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { MongoClient } from 'mongodb';
import { ObjectId, type Db } from 'mongodb';
import { startWorker, type Addresses } from '../../src/bootstrap';
import { composeEngineClient, composeSecretBox } from '../../src/composition';
import { loadConfig, type Config } from '../../src/config';
import type { EngineClient } from '../../src/client/engine-client';
import { generateSecretsKey, type SecretBox } from '../../src/crypto/secret-box';
import type { PlainAuth } from '../../src/delivery/auth-headers';
import type { RetryPolicy } from '../../src/delivery/retry-policy';
import type { Resolver, SenderOptions } from '../../src/delivery/sender';
import { ConflictError } from '../../src/errors';
import { createLogger, type Logger } from '../../src/logger';
import { storeFor, type Store } from '../../src/store';
import type {
  DeliveryRecord,
  DeliveryStatus,
  DocfloDocument,
  PlatformEvent,
  WebhookRecord,
  WebhookStatus,
} from '../../src/store/model';
import { connectMongo, ensureIndexes } from '../../src/store/mongo';
import { sealAuth } from '../../src/webhooks/webhook-secrets';
import { testEnv, type TestEnv } from './test-env';

export interface TestEngineOptions {
  retrySchedule?: number[];
  timeoutMs?: number;
  retryPolicy?: Partial<RetryPolicy>;
  logger?: Logger;
  allowedCidrs?: string;
  resolve?: Resolver;
  dial?: SenderOptions['dial'];
  /** The worker reaches the store here (e.g. through a proxy a test can hold); the test's own store does not. */
  workerMongoUri?: string;
  /** Further production variables for the worker (parsed by loadConfig like any other). */
  env?: Record<string, string>;
}

export interface TestEngine {
  db: Db;
  store: Store;
  secrets: SecretBox;
  temporal: Client;
  engine: EngineClient;
  taskQueue: string;
  /** The production Config this engine was built from (parsed by loadConfig). */
  config: Config;
  /** The variables `config` was parsed from, for an API on the same engine. */
  configEnv: Record<string, string>;
  addresses: Addresses;
  /** The worker's GET /metrics, when the test set METRICS_PORT (0: any free port). */
  workerMetricsUrl?: string;
  ensureTenant(tenantId: string): Promise<void>;
  addWebhook(input: TestWebhookInput): Promise<WebhookRecord>;
  addDocument(tenantId: string, overrides?: Partial<DocfloDocument>): Promise<DocfloDocument>;
  dispose(): Promise<void>;
}

export interface TestWebhookInput {
  tenantId: string;
  url: string;
  event: PlatformEvent;
  auth?: PlainAuth;
  signingSecret?: string;
  status?: WebhookStatus;
  retrySchedule?: number[];
  /** Flow settings (src/delivery/gate.ts). */
  flow?: Pick<WebhookRecord, 'rateLimit' | 'maxInFlight' | 'ordering'>;
}

export function uniqueId(prefix: string): string {
  return `${prefix}_${crypto.randomBytes(6).toString('hex')}`;
}

/** The SDK logs every worker state change at INFO; tests only want warnings. */
function quietTemporalRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed in this process
  }
}

/** The engine's settings for a test, parsed by the production schema (so a test cannot set what users cannot). */
export function testConfigEnv(env: TestEnv, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: env.temporalAddress,
    MONGODB_URI: env.mongoUri,
    TEMPORAL_NAMESPACE: 'default',
    WORKFLOW_BUNDLE_PATH: env.workflowBundlePath,
    NODE_EXTRA_CA_CERTS: env.caFile,
    SECRETS_KEY: generateSecretsKey(),
    // Test receivers listen on 127.0.0.1 only; every other loopback address stays blocked.
    DELIVERY_ALLOWED_CIDRS: '127.0.0.1/32',
    LOG_LEVEL: 'silent',
    // Each test file's task queue would get a Schedule of its own; the reconciler's tests turn it on.
    RECONCILE_INTERVAL: '0',
    ...overrides,
  };
}

export async function startTestEngine(options: TestEngineOptions = {}): Promise<TestEngine> {
  quietTemporalRuntime();
  const env = testEnv();
  const retrySchedule = options.retrySchedule ?? [1, 1, 1];
  const configEnv = testConfigEnv(env, {
    MONGODB_DB: uniqueId('test'),
    TEMPORAL_TASK_QUEUE: uniqueId('tq'),
    DELIVERY_TIMEOUT_MS: String(options.timeoutMs ?? 5_000),
    DELIVERY_MAX_RESPONSE_BYTES: String(16 * 1024),
    DELIVERY_ALLOWED_CIDRS: options.allowedCidrs ?? '127.0.0.1/32',
    DELIVERY_RETRY_SCHEDULE: retrySchedule.join(','),
    ...options.env,
  });
  const config = loadConfig(configEnv);
  const addresses = { temporalAddress: env.temporalAddress, mongoUri: env.mongoUri };
  const mongo: MongoClient = await connectMongo(env.mongoUri, { maxPoolSize: 10 });
  const db = mongo.db(config.MONGODB_DB);
  await ensureIndexes(db);
  const store = await storeFor(db);
  const secrets = composeSecretBox(config);
  const logger = options.logger ?? createLogger({ level: 'silent' });
  const workerMongo = options.workerMongoUri
    ? await connectMongo(options.workerMongoUri, {
        maxPoolSize: 10,
        serverSelectionTimeoutMs: config.MONGODB_TIMEOUT_MS,
      })
    : undefined;
  const worker = await startWorker({
    config,
    addresses,
    store: workerMongo ? await storeFor(workerMongo.db(config.MONGODB_DB)) : store,
    logger,
    overrides: { resolve: options.resolve, dial: options.dial, retryPolicy: options.retryPolicy },
  });
  const connection = await Connection.connect({ address: env.temporalAddress });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const engine = composeEngineClient(config, { temporal, store });
  const taskQueue = config.TEMPORAL_TASK_QUEUE;
  const tenants = new Set<string>();
  /** Events are only taken for tenants that exist: the helpers create them as the admin API would. */
  const ensureTenant = async (tenantId: string): Promise<void> => {
    if (tenants.has(tenantId)) return;
    if (!(await store.tenants.findById(tenantId))) {
      await store.tenants.create({ _id: tenantId, name: tenantId, createdAt: new Date() }).catch((err: unknown) => {
        if (!(err instanceof ConflictError)) throw err;
      });
    }
    tenants.add(tenantId);
  };

  return {
    db,
    store,
    secrets,
    temporal,
    engine,
    taskQueue,
    config,
    configEnv,
    addresses,
    workerMetricsUrl: worker.metricsUrl,
    ensureTenant,
    async addWebhook(input) {
      await ensureTenant(input.tenantId);
      const now = new Date();
      const record: WebhookRecord = {
        _id: uniqueId('wh'),
        tenantId: input.tenantId,
        url: input.url,
        event: input.event,
        auth: sealAuth(input.auth ?? { type: 'none' }, secrets),
        signingSecret: input.signingSecret ? secrets.seal(input.signingSecret) : undefined,
        status: input.status ?? 'active',
        retrySchedule: input.retrySchedule,
        ...input.flow,
        createdAt: now,
        updatedAt: now,
      };
      if (record.signingSecret === undefined) delete record.signingSecret;
      if (record.retrySchedule === undefined) delete record.retrySchedule;
      await store.webhooks.insert(record);
      return record;
    },
    async addDocument(tenantId, overrides = {}) {
      await ensureTenant(tenantId);
      const doc: DocfloDocument = {
        _id: new ObjectId(),
        tenantId,
        type: 'invoice',
        status: 'ANALYZED',
        createdAt: new Date('2025-03-10T17:50:00.000Z'),
        updatedAt: new Date('2025-03-10T17:53:46.000Z'),
        fields: {
          InvoiceId: `INV-${crypto.randomBytes(3).toString('hex')}`,
          VendorName: 'Acme Corporation',
          InvoiceDate: '2025-03-01',
          InvoiceTotal: { Amount: 1500.5, CurrencyCode: 'USD' },
          Items: [{ Description: 'Professional Services', Quantity: 10, UnitPrice: 150.05, Amount: 1500.5 }],
        },
        ...overrides,
      };
      await db.collection<DocfloDocument>('documents').insertOne(doc);
      return doc;
    },
    async dispose() {
      await worker.shutdown();
      await workerMongo?.close();
      await connection.close();
      await db.dropDatabase().catch(() => undefined);
      await mongo.close();
    },
  };
}

/** The delivery record once its status is one of `statuses`. */
export async function deliveryIn(
  store: Store,
  id: string,
  statuses: DeliveryStatus[],
  timeoutMs = 30_000,
): Promise<DeliveryRecord> {
  return eventually(
    async () => {
      const d = await store.deliveries.findById(id);
      return d && statuses.includes(d.status) ? d : undefined;
    },
    timeoutMs,
    `delivery ${id} to be ${statuses.join('/')}`,
  );
}

/** Polls until `check` returns a value (not undefined), or fails with the last state seen. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
