/** Production admin API entry point. */
import { configuredAddresses, openStore, startApi } from './bootstrap';
import { requireFor } from './config';
import { configOrExit, runUntilSignal } from './entry';
import { createLogger } from './logger';

const config = configOrExit(process.env);
const logger = createLogger({ level: config.LOG_LEVEL, name: 'docflo-api' });

runUntilSignal({
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  async start() {
    requireFor(config, 'api');
    const addresses = configuredAddresses(config);
    const { mongo, store } = await openStore(config, addresses.mongoUri, { logger });
    const api = await startApi({ config, addresses, store, logger });
    logger.info({ url: api.url }, 'admin API listening');
    return async () => {
      await api.close();
      await mongo.close();
    };
  },
});
