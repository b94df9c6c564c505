/**
 * A whole engine for one test file on the shared servers: its own database, its own task queue, a worker
 * running the real workflows and activities, and the client module the API uses.
 */
import crypto from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { Db, MongoClient } from 'mongodb';
import { ObjectId } from 'mongodb';
import { createActivities } from '../../src/activities';
import { createEngineClient, type EngineClient } from '../../src/client/engine-client';
import { generateSecretsKey, SecretBox } from '../../src/crypto/secret-box';
import type { PlainAuth } from '../../src/delivery/auth-headers';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../src/delivery/retry-policy';
import { createSender, type Resolver, type Sender, type SenderOptions } from '../../src/delivery/sender';
import { parseCidrs } from '../../src/delivery/ssrf';
import { trustedCertificates } from '../../src/delivery/trust';
import { createLogger, type Logger } from '../../src/logger';
import { createStore, type Store } from '../../src/store';
import type { DocfloDocument, PlatformEvent, WebhookRecord, WebhookStatus } from '../../src/store/model';
import { connectMongo, ensureIndexes } from '../../src/store/mongo';
import { createEngineWorker } from '../../src/temporal/engine-worker';
import { sealAuth } from '../../src/webhooks/webhook-secrets';
import { testEnv } from './test-env';

export interface TestEngineOptions {
  retrySchedule?: number[];
  timeoutMs?: number;
  retryPolicy?: Partial<RetryPolicy>;
  logger?: Logger;
  allowedCidrs?: string;
  resolve?: Resolver;
  dial?: SenderOptions['dial'];
}

export interface TestEngine {
  db: Db;
  store: Store;
  secrets: SecretBox;
  temporal: Client;
  engine: EngineClient;
  taskQueue: string;
  sender: Sender;
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

export async function startTestEngine(options: TestEngineOptions = {}): Promise<TestEngine> {
  quietTemporalRuntime();
  const env = testEnv();
  const mongo: MongoClient = await connectMongo(env.mongoUri, { maxPoolSize: 10 });
  const db = mongo.db(uniqueId('test'));
  await ensureIndexes(db);
  const store = createStore(db);
  const secrets = new SecretBox([generateSecretsKey()]);
  const logger = options.logger ?? createLogger({ level: 'silent' });
  const sender = createSender({
    timeoutMs: options.timeoutMs ?? 5_000,
    maxResponseBytes: 16 * 1024,
    ca: trustedCertificates({ extraCaFiles: [env.caFile] }),
    // Test receivers listen on 127.0.0.1 only; every other loopback address stays blocked.
    allowedCidrs: parseCidrs(options.allowedCidrs ?? '127.0.0.1/32'),
    resolve: options.resolve,
    dial: options.dial,
  });
  const taskQueue = uniqueId('tq');
  const retrySchedule = options.retrySchedule ?? [1, 1, 1];
  const nativeConnection = await NativeConnection.connect({ address: env.temporalAddress });
  const worker: Worker = await createEngineWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    workflowBundlePath: env.workflowBundlePath,
    activities: createActivities({
      store,
      sender,
      secrets,
      logger,
      retryPolicy: { ...DEFAULT_RETRY_POLICY, ...options.retryPolicy },
      defaultRetrySchedule: retrySchedule,
    }),
  });
  const running = worker.run();
  const connection = await Connection.connect({ address: env.temporalAddress });
  const temporal = new Client({ connection, namespace: 'default' });
  const engine = createEngineClient({ temporal, taskQueue, store, defaultRetrySchedule: retrySchedule });

  return {
    db,
    store,
    secrets,
    temporal,
    engine,
    taskQueue,
    sender,
    async addWebhook(input) {
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
        createdAt: now,
        updatedAt: now,
      };
      if (record.signingSecret === undefined) delete record.signingSecret;
      if (record.retrySchedule === undefined) delete record.retrySchedule;
      await store.webhooks.insert(record);
      return record;
    },
    async addDocument(tenantId, overrides = {}) {
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
      worker.shutdown();
      await running;
      await sender.close();
      await nativeConnection.close();
      await connection.close();
      await db.dropDatabase().catch(() => undefined);
      await mongo.close();
    },
  };
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
