/** Production admin API entry point. */
import { openStore, startApi } from './bootstrap';
import { loadConfig } from './config';
import { runUntilSignal } from './entry';
import { createLogger } from './logger';

const config = loadConfig(process.env);
const logger = createLogger({ level: config.LOG_LEVEL, name: 'docflo-api' });

runUntilSignal({
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  async start() {
    if (!config.TEMPORAL_ADDRESS || !config.MONGODB_URI) {
      throw new Error('TEMPORAL_ADDRESS and MONGODB_URI must be set (npm run dev starts local servers instead)');
    }
    const addresses = { temporalAddress: config.TEMPORAL_ADDRESS, mongoUri: config.MONGODB_URI };
    const { mongo, store } = await openStore(config, addresses.mongoUri);
    const api = await startApi({ config, addresses, store, logger });
    logger.info({ url: api.url }, 'admin API listening');
    return async () => {
      await api.close();
      await mongo.close();
    };
  },
});
