/**
 * Wiring shared by the entry points (dev, worker, API): build each dependency once from config and hand it
 * to the factories. Nothing here reads process.env; callers pass the parsed config.
 */
import http from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel, type RuntimeOptions } from '@temporalio/worker';
import type { MongoClient } from 'mongodb';
import { createApp } from './api/app';
import { composeApi, composeWorkerActivities, type WorkerOverrides } from './composition';
import type { Config } from './config';
import { ConfigError } from './errors';
import { startOpenDeliveriesGauge } from './metrics/open-deliveries';
import { startMetricsServer } from './metrics/server';
import { ensurePurgeSchedule } from './temporal/purge-schedule';
import { ensureReconcileSchedule } from './temporal/reconcile-schedule';
import type { Logger } from './logger';
import { storeFor, type Store } from './store';
import { StoreCommandWatch } from './store/command-watch';
import { migrateEndpointState } from './store/endpoint-state-migration';
import { connectMongo, ensureIndexes } from './store/mongo';
import { createEngineWorker, createPacedWorker } from './temporal/engine-worker';

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

/** Where the Temporal SDK's own worker metrics are exported (the Runtime's Prometheus exporter), if anywhere. */
export function temporalTelemetryOptions(
  config: Pick<Config, 'TEMPORAL_METRICS_PORT' | 'METRICS_HOST'>,
): RuntimeOptions['telemetryOptions'] {
  if (config.TEMPORAL_METRICS_PORT === undefined) return undefined;
  const host = config.METRICS_HOST.includes(':') ? `[${config.METRICS_HOST}]` : config.METRICS_HOST;
  return { metrics: { prometheus: { bindAddress: `${host}:${config.TEMPORAL_METRICS_PORT}` } } };
}

/**
 * Installs the Temporal Runtime (once per process): the SDK's logs routed into our logger and, with
 * TEMPORAL_METRICS_PORT, its worker metrics exported for Prometheus at http://METRICS_HOST:TEMPORAL_METRICS_PORT/metrics.
 */
export function installTemporalLogging(
  logger: Logger,
  level: string,
  config?: Pick<Config, 'TEMPORAL_METRICS_PORT' | 'METRICS_HOST'>,
): void {
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
    telemetryOptions: config ? temporalTelemetryOptions(config) : undefined,
  });
}

export async function openStore(
  config: Config,
  mongoUri: string,
  options: { onCommand?: (name: string) => void; logger?: Logger } = {},
): Promise<{ mongo: MongoClient; store: Store }> {
  const mongo = await connectMongo(mongoUri, {
    serverSelectionTimeoutMs: config.MONGODB_TIMEOUT_MS,
    onCommand: options.onCommand,
    monitorCommands: true,
  });
  const watch = new StoreCommandWatch(mongo, { boundMs: config.MONGODB_TIMEOUT_MS, logger: options.logger });
  mongo.once('close', () => watch.stop());
  const db = mongo.db(config.MONGODB_DB);
  await ensureIndexes(db);
  const migrated = await migrateEndpointState(db);
  if (migrated > 0) options.logger?.info({ webhooks: migrated }, 'engine state copied off older webhook records');
  return { mongo, store: await storeFor(db, watch) };
}

export interface RunningWorker {
  /** Resolves when the worker has stopped. */
  done: Promise<void>;
  /** The worker's GET /metrics, when METRICS_PORT is set. */
  metricsUrl?: string;
  shutdown(): Promise<void>;
}

export async function startWorker(deps: {
  config: Config;
  addresses: Addresses;
  store: Store;
  logger: Logger;
  overrides?: WorkerOverrides;
}): Promise<RunningWorker> {
  const { config } = deps;
  const connection = await NativeConnection.connect({ address: deps.addresses.temporalAddress });
  // Activities that message workflows (status fan-out, reconciler) share the worker's connection.
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const { sender, activities, metrics } = composeWorkerActivities(config, { ...deps, temporal }, deps.overrides);
  if (config.PURGE_INTERVAL > 0) {
    await ensurePurgeSchedule(temporal, {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      intervalSeconds: config.PURGE_INTERVAL,
      input: { batch: config.PURGE_BATCH, pauseMs: config.PURGE_PAUSE_MS },
    });
  }
  if (config.RECONCILE_INTERVAL > 0) {
    await ensureReconcileSchedule(temporal, {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      intervalSeconds: config.RECONCILE_INTERVAL,
    });
  }
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
  const paced = await createPacedWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    activities,
    maxConcurrentActivities: config.WORKER_MAX_PACED_ACTIVITIES,
  });
  const metricsServer =
    config.METRICS_PORT === undefined
      ? undefined
      : await startMetricsServer(metrics.registry, config.METRICS_HOST, config.METRICS_PORT);
  const gauge =
    config.METRICS_PORT === undefined
      ? undefined
      : startOpenDeliveriesGauge({
          store: deps.store,
          metrics,
          intervalSeconds: config.METRICS_REFRESH_INTERVAL,
          logger: deps.logger,
        });
  // Either worker stopping (a shutdown, a fatal error) stops the other: the process runs both or neither.
  const workers = [worker, paced];
  const stopAll = (): void => workers.forEach((w) => w.getState() === 'RUNNING' && w.shutdown());
  const done = Promise.allSettled(workers.map((w) => w.run().finally(stopAll))).then(async (ended) => {
    gauge?.stop();
    await metricsServer?.close();
    await sender.close();
    await connection.close();
    const failed = ended.find((e): e is PromiseRejectedResult => e.status === 'rejected');
    if (failed) throw failed.reason;
  });
  return {
    done,
    metricsUrl: metricsServer?.url,
    async shutdown() {
      stopAll();
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
  const apiDeps = composeApi(config, { store: deps.store, temporal, logger: deps.logger });
  const server = http.createServer(createApp(apiDeps));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.config.API_PORT, deps.config.API_HOST, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : deps.config.API_PORT;
  const url = `http://${deps.config.API_HOST}:${port}`;
  // Without PUBLIC_URL, portal links point where the API listens (API_PORT=0 is known only now).
  if (!config.PUBLIC_URL) apiDeps.portal.publicUrl = url;
  return {
    url,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await connection.close();
    },
  };
}
