/**
 * `npm run dev`: the whole engine on local defaults. Starts (or uses) Temporal and a MongoDB-wire store, then
 * the worker and the admin API in this process; Ctrl-C stops all of it, and the servers die with us anyway.
 */
import fs from 'node:fs';
import path from 'node:path';
import pinoPretty from 'pino-pretty';
import { installTemporalLogging, openStore, startApi, startWorker } from './bootstrap';
import { loadConfig, type Config } from './config';
import { generateSecretsKey } from './crypto/secret-box';
import { runUntilSignal } from './entry';
import { startLocalInfra } from './infra/local-infra';
import { createLogger, type Logger } from './logger';

const baseConfig = loadConfig(process.env);
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
    const config: Config = { ...baseConfig, SECRETS_KEY: devSecretsKey(baseConfig, logger) };
    const say = (message: string): void => logger.info(message);
    const infra = await startLocalInfra({
      temporalAddress: config.TEMPORAL_ADDRESS,
      mongoUri: config.MONGODB_URI,
      namespace: config.TEMPORAL_NAMESPACE,
      temporalCliPath: config.TEMPORAL_CLI_PATH,
      ferretdbPath: config.FERRETDB_PATH,
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
      installTemporalLogging(logger, config.LOG_LEVEL);
      const addresses = { temporalAddress: infra.temporalAddress, mongoUri: infra.mongoUri };
      const { mongo, store } = await openStore(config, addresses.mongoUri);
      stops.push(() => mongo.close());
      const worker = await startWorker({ config, addresses, store, logger });
      stops.push(() => worker.shutdown());
      const api = await startApi({ config, addresses, store, logger });
      stops.push(() => api.close());
      logger.info(
        {
          api: api.url,
          temporal: infra.temporalAddress,
          temporalUi: infra.temporalUiUrl ?? '(external server)',
          mongodb: infra.mongoUri,
        },
        `Docflo Webhooks is running. Admin API: ${api.url}  Temporal Web UI: ${infra.temporalUiUrl ?? 'see your Temporal server'}  (Ctrl-C stops everything)`,
      );
    } catch (err) {
      await stopAll();
      throw err;
    }
    return stopAll;
  },
});
