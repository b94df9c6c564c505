/**
 * Wiring shared by the entry points (dev, worker, API): build each dependency once from config and hand it
 * to the factories. Nothing here reads process.env; callers pass the parsed config.
 */
import http from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import type { MongoClient } from 'mongodb';
import { createActivities } from './activities';
import { createApp } from './api/app';
import { createEngineClient } from './client/engine-client';
import { createWebhookService } from './webhooks/webhook-service';
import { retryScheduleOf, type Config } from './config';
import { ConfigError } from './errors';
import { SecretBox } from './crypto/secret-box';
import { DEFAULT_RETRY_POLICY } from './delivery/retry-policy';
import { createSender, type Sender } from './delivery/sender';
import { parseCidrs } from './delivery/ssrf';
import { trustedCertificates } from './delivery/trust';
import type { Logger } from './logger';
import { createStore, type Store } from './store';
import { connectMongo, ensureIndexes } from './store/mongo';
import { createEngineWorker } from './temporal/engine-worker';

export interface Addresses {
  temporalAddress: string;
  mongoUri: string;
}

/** Production entry points run against configured servers; `npm run dev` is the one that starts local ones. */
export function configuredAddresses(config: Config): Addresses {
  if (!config.TEMPORAL_ADDRESS || !config.MONGODB_URI) {
    throw new ConfigError('TEMPORAL_ADDRESS and MONGODB_URI must be set (npm run dev starts local servers instead)');
  }
  return { temporalAddress: config.TEMPORAL_ADDRESS, mongoUri: config.MONGODB_URI };
}

/** Routes the Temporal SDK's own logs into our logger (once per process). */
export function installTemporalLogging(logger: Logger, level: string): void {
  const sdkLevel = (
    ['trace', 'debug', 'info', 'warn', 'error'].includes(level) ? level.toUpperCase() : 'WARN'
  ) as LogLevel;
  const log = logger.child({ module: 'temporal-sdk' });
  Runtime.install({
    logger: new DefaultLogger(sdkLevel, (entry) => {
      const method =
        entry.level === 'TRACE' ? 'trace' : (entry.level.toLowerCase() as 'debug' | 'info' | 'warn' | 'error');
      log[method]({ ...entry.meta }, entry.message);
    }),
  });
}

export async function openStore(config: Config, mongoUri: string): Promise<{ mongo: MongoClient; store: Store }> {
  const mongo = await connectMongo(mongoUri);
  const db = mongo.db(config.MONGODB_DB);
  await ensureIndexes(db);
  return { mongo, store: createStore(db) };
}

export function createSecretBox(config: Config): SecretBox {
  if (!config.SECRETS_KEY)
    throw new ConfigError('SECRETS_KEY is required: base64 of 32 random bytes (openssl rand -base64 32)');
  return new SecretBox(config.SECRETS_KEY.split(',').map((k) => k.trim()));
}

/** `extraCaFiles`: CAs trusted besides the defaults and NODE_EXTRA_CA_CERTS (dev's own receiver CA). */
export function createConfiguredSender(config: Config, extraCaFiles: string[] = []): Sender {
  return createSender({
    timeoutMs: config.DELIVERY_TIMEOUT_MS,
    maxResponseBytes: config.DELIVERY_MAX_RESPONSE_BYTES,
    ca: trustedCertificates({ extraCaFiles: [config.NODE_EXTRA_CA_CERTS, ...extraCaFiles] }),
    allowedCidrs: parseCidrs(config.DELIVERY_ALLOWED_CIDRS),
  });
}

export interface RunningWorker {
  /** Resolves when the worker has stopped. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

export async function startWorker(deps: {
  config: Config;
  addresses: Addresses;
  store: Store;
  logger: Logger;
  extraCaFiles?: string[];
}): Promise<RunningWorker> {
  const { config } = deps;
  const connection = await NativeConnection.connect({ address: deps.addresses.temporalAddress });
  const sender = createConfiguredSender(config, deps.extraCaFiles);
  const activities = createActivities({
    store: deps.store,
    sender,
    secrets: createSecretBox(config),
    logger: deps.logger,
    retryPolicy: DEFAULT_RETRY_POLICY,
    defaultRetrySchedule: retryScheduleOf(config),
  });
  const worker = await createEngineWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    activities,
    workflowBundlePath: config.WORKFLOW_BUNDLE_PATH,
    maxConcurrentActivities: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentWorkflowTasks: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
  });
  const done = worker.run().finally(async () => {
    await sender.close();
    await connection.close();
  });
  return {
    done,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}

export interface RunningApi {
  url: string;
  close(): Promise<void>;
}

export async function startApi(deps: {
  config: Config;
  addresses: Addresses;
  store: Store;
  logger: Logger;
}): Promise<RunningApi> {
  const { config } = deps;
  const connection = await Connection.connect({ address: deps.addresses.temporalAddress });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const secrets = createSecretBox(config);
  const engine = createEngineClient({
    temporal,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    store: deps.store,
    defaultRetrySchedule: retryScheduleOf(config),
  });
  const app = createApp({
    store: deps.store,
    secrets,
    engine,
    webhooks: createWebhookService({
      store: deps.store,
      secrets,
      engine,
      maxWebhooksPerTenant: config.WEBHOOKS_PER_TENANT_MAX,
    }),
    adminApiKey: config.ADMIN_API_KEY,
    platformApiKey: config.PLATFORM_API_KEY,
    bodyLimitBytes: config.API_BODY_LIMIT_BYTES,
    rateLimitPerMinute: config.API_RATE_LIMIT_PER_MINUTE,
    occurredAtMaxAgeSeconds: config.EVENT_OCCURRED_AT_MAX_AGE_SECONDS,
    occurredAtMaxFutureSeconds: config.EVENT_OCCURRED_AT_MAX_FUTURE_SECONDS,
    authFailuresPerMinute: config.API_AUTH_FAILURES_PER_MINUTE,
    trustProxy: config.API_TRUST_PROXY,
    logger: deps.logger,
    healthChecks: {
      temporal: async () => {
        await temporal.workflowService.getSystemInfo({});
      },
      mongodb: () => deps.store.ping(),
    },
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.config.API_PORT, deps.config.API_HOST, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : deps.config.API_PORT;
  return {
    url: `http://${deps.config.API_HOST}:${port}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await connection.close();
    },
  };
}
