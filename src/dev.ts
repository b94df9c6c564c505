/**
 * `npm run dev`: the whole engine on local defaults. Starts (or uses) Temporal and a MongoDB-wire store, then
 * the worker and the admin API in this process; Ctrl-C stops all of it, and the servers die with us anyway.
 */
import fs from 'node:fs';
import path from 'node:path';
import pinoPretty from 'pino-pretty';
import { installTemporalLogging, openStore, startApi, startWorker } from './bootstrap';
import type { Config } from './config';
import { generateSecretsKey } from './crypto/secret-box';
import { configOrExit, runUntilSignal } from './entry';
import { startLocalInfra } from './infra/local-infra';
import { assertPortFree } from './infra/ports';
import { createLogger, type Logger } from './logger';
import { ensureDevCerts } from './dev/dev-certs';
import { DEV_TENANT, ensureDevTenant, loadOrCreateDevKeys, seedSampleDocuments, writeDevEnv } from './dev/dev-seed';
import { startSampleReceiver } from './dev/sample-receiver';
import { buildPortal } from './portal/build-portal';
import { createPortalLink } from './portal/portal-links';
import { portalSettingsOf } from './composition';

const baseConfig = configOrExit(process.env);
/** npm run dev serves the worker's metrics here unless METRICS_PORT says otherwise. */
const DEV_METRICS_PORT = 9464;
// On a terminal, readable lines; piped (CI, files), the same JSON production writes.
const logger = createLogger(
  { level: baseConfig.LOG_LEVEL, name: 'docflo-dev' },
  process.stdout.isTTY ? pinoPretty({ colorize: true, ignore: 'pid,hostname,name' }) : undefined,
);

/** Dev keeps one secrets key under the data folder so stored credentials survive restarts. */
function devSecretsKey(config: Config, log: Logger): string {
  if (config.SECRETS_KEY) return config.SECRETS_KEY;
  const file = path.join(config.DATA_DIR, 'secrets.key');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(config.DATA_DIR, { recursive: true });
    fs.writeFileSync(file, `${generateSecretsKey()}\n`, { mode: 0o600 });
    log.info({ file }, 'generated a development secrets key');
  }
  return fs.readFileSync(file, 'utf8').trim();
}

runUntilSignal({
  logger,
  shutdownTimeoutMs: baseConfig.SHUTDOWN_TIMEOUT_MS,
  async start() {
    const keys = loadOrCreateDevKeys(baseConfig.DATA_DIR);
    const certs = await ensureDevCerts(baseConfig.DATA_DIR);
    const config: Config = {
      ...baseConfig,
      SECRETS_KEY: devSecretsKey(baseConfig, logger),
      ADMIN_API_KEY: baseConfig.ADMIN_API_KEY ?? keys.adminApiKey,
      PLATFORM_API_KEY: baseConfig.PLATFORM_API_KEY ?? keys.platformApiKey,
      // The sample receiver listens on loopback, which production never reaches.
      DELIVERY_ALLOWED_CIDRS: baseConfig.DELIVERY_ALLOWED_CIDRS ?? '127.0.0.1/32,::1/128',
      // Metrics on by default in dev: the worker's /metrics, and the Temporal SDK's on the next port.
      METRICS_PORT: baseConfig.METRICS_PORT ?? DEV_METRICS_PORT,
      TEMPORAL_METRICS_PORT: baseConfig.TEMPORAL_METRICS_PORT ?? (baseConfig.METRICS_PORT ?? DEV_METRICS_PORT) + 1,
    };
    const say = (message: string): void => logger.info(message);
    // Fail before starting anything, naming the variable that moves the port.
    await assertPortFree(config.API_PORT, 'API_PORT', config.API_HOST);
    await assertPortFree(config.DEV_RECEIVER_PORT, 'DEV_RECEIVER_PORT');
    await assertPortFree(config.METRICS_PORT ?? DEV_METRICS_PORT, 'METRICS_PORT', config.METRICS_HOST);
    if (config.TEMPORAL_METRICS_PORT !== undefined) {
      await assertPortFree(config.TEMPORAL_METRICS_PORT, 'TEMPORAL_METRICS_PORT', config.METRICS_HOST);
    }
    const infra = await startLocalInfra({
      temporalAddress: config.TEMPORAL_ADDRESS,
      mongoUri: config.MONGODB_URI,
      namespace: config.TEMPORAL_NAMESPACE,
      temporalCliPath: config.TEMPORAL_CLI_PATH,
      ferretdbPath: config.FERRETDB_PATH,
      ferretdbPostgresqlUrl: config.FERRETDB_POSTGRESQL_URL,
      ports: { temporal: config.TEMPORAL_PORT, temporalUi: config.TEMPORAL_UI_PORT, ferretdb: config.FERRETDB_PORT },
      withUi: true,
      dataDir: config.DATA_DIR,
      toolsDir: config.TOOLS_DIR,
      searchPath: process.env.PATH ?? '',
      say,
    });
    const stops: (() => Promise<void>)[] = [() => infra.stop()];
    const stopAll = async (): Promise<void> => {
      for (const stop of stops.reverse()) await stop().catch((err: unknown) => logger.error({ err }, 'stop failed'));
    };
    try {
      installTemporalLogging(logger, config.LOG_LEVEL, config);
      const addresses = { temporalAddress: infra.temporalAddress, mongoUri: infra.mongoUri };
      const { mongo, store } = await openStore(config, addresses.mongoUri, { logger });
      stops.push(() => mongo.close());
      const tenantKey = await ensureDevTenant(store, config.DATA_DIR, keys);
      const documentIds = await seedSampleDocuments(mongo.db(config.MONGODB_DB));
      const receiver = await startSampleReceiver({
        port: config.DEV_RECEIVER_PORT,
        tls: certs,
        signingSecret: keys.signingSecret,
        logger,
      });
      stops.push(() => receiver.close());
      // The dev receiver's certificate comes from the dev CA, which only this engine is told to trust.
      const worker = await startWorker({
        config,
        addresses,
        store,
        logger,
        overrides: { extraCaFiles: [certs.caFile] },
      });
      stops.push(() => worker.shutdown());
      // Its own connection pool, as in production where the API is a process of its own: its requests never
      // queue behind the worker's store commands in one pool (a 1,200-webhook fan-out held GETs for seconds).
      const apiStore = await openStore(config, addresses.mongoUri, { logger });
      stops.push(() => apiStore.mongo.close());
      await buildPortal();
      const api = await startApi({ config, addresses, store: apiStore.store, logger });
      stops.push(() => api.close());
      const portal = await createPortalLink(apiStore.store.portalSessions, portalSettingsOf(config), {
        tenantId: DEV_TENANT,
        capabilities: ['manage_endpoints', 'view_secrets'],
        theme: {},
        createdBy: 'npm run dev',
      });
      const envFile = writeDevEnv(config.DATA_DIR, {
        API: api.url,
        TENANT_ID: DEV_TENANT,
        TENANT_KEY: tenantKey,
        PLATFORM_KEY: config.PLATFORM_API_KEY ?? '',
        ADMIN_KEY: config.ADMIN_API_KEY ?? '',
        DOCUMENT_ID: documentIds[0] ?? '',
        RECEIVER_URL: receiver.url,
        SIGNING_SECRET: keys.signingSecret,
      });
      printBanner({
        api: api.url,
        ui: infra.temporalUiUrl,
        receiver: receiver.url,
        tenantKey,
        portal: portal.url,
        documentIds,
        envFile,
        workerMetrics: worker.metricsUrl,
        sdkMetrics:
          config.TEMPORAL_METRICS_PORT === undefined
            ? undefined
            : `http://${config.METRICS_HOST}:${config.TEMPORAL_METRICS_PORT}/metrics`,
        retention:
          `${config.RETENTION_DAYS} days (RETENTION_DAYS), ` +
          (config.PURGE_INTERVAL > 0 ? `purged every ${config.PURGE_INTERVAL} s` : 'purge off (PURGE_INTERVAL=0)'),
      });
    } catch (err) {
      await stopAll();
      throw err;
    }
    return stopAll;
  },
});

/**
 * Development credentials go to the terminal on purpose (a newcomer needs them to try the API), never through
 * the logger: logs stay free of secrets.
 */
function printBanner(info: {
  api: string;
  ui?: string;
  receiver: string;
  tenantKey: string;
  portal: string;
  documentIds: string[];
  envFile: string;
  workerMetrics?: string;
  sdkMetrics?: string;
  /** RETENTION_DAYS and how often the purge runs, in words. */
  retention: string;
}): void {
  const lines = [
    '',
    'Docflo Webhooks is running (Ctrl-C stops everything)',
    `  Admin API         ${info.api}   (docs: ${info.api}/docs)`,
    `  Temporal Web UI   ${info.ui ?? 'see your Temporal server'}`,
    `  Metrics           API ${info.api}/metrics   worker ${info.workerMetrics ?? 'off'}`,
    `                    Temporal SDK (worker) ${info.sdkMetrics ?? 'off'}`,
    `  Sample receiver   ${info.receiver}   (verifies signatures with verifyWebhook, logs each delivery)`,
    `  Dev tenant        ${DEV_TENANT}, API key ${info.tenantKey}`,
    `  Tenant portal     ${info.portal}`,
    `                    (opens once; a new link: npm run portal-link)`,
    `  Sample documents  ${info.documentIds.join(', ')}`,
    `  Retention         finished deliveries, attempts and events kept ${info.retention}`,
    `  All of it, for the README's curl walkthrough:  source ${info.envFile}`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
