/** Production worker entry point: runs workflows and activities against configured servers. */
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { configuredAddresses, installTemporalLogging, openStore, startWorker } from './bootstrap';
import { requireFor } from './config';
import { configOrExit, runUntilSignal } from './entry';
import { createLogger } from './logger';
import { registerSearchAttributes } from './temporal/search-attributes';

const config = configOrExit(process.env);
const logger = createLogger({ level: config.LOG_LEVEL, name: 'docflo-worker' });

runUntilSignal({
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  async start() {
    requireFor(config, 'worker');
    installTemporalLogging(logger, config.LOG_LEVEL, config);
    const addresses = configuredAddresses(config);
    await ensureSearchAttributes(addresses.temporalAddress);
    const storeOps = new Map<string, number>();
    const countOp = config.STORE_OP_COUNTS_FILE
      ? (name: string) => storeOps.set(name, (storeOps.get(name) ?? 0) + 1)
      : undefined;
    const { mongo, store } = await openStore(config, addresses.mongoUri, { onCommand: countOp, logger });
    // `npm run build` leaves the pre-built bundle beside this file; use it unless told otherwise.
    const bundled = path.join(__dirname, 'workflow-bundle.js');
    const workflowBundle = config.WORKFLOW_BUNDLE_PATH ?? (fs.existsSync(bundled) ? bundled : undefined);
    const worker = await startWorker({
      config: { ...config, WORKFLOW_BUNDLE_PATH: workflowBundle },
      addresses,
      store,
      logger,
    });
    logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE }, 'worker running');
    return async () => {
      await worker.shutdown();
      await mongo.close();
      if (config.STORE_OP_COUNTS_FILE) {
        fs.writeFileSync(config.STORE_OP_COUNTS_FILE, JSON.stringify(Object.fromEntries(storeOps)));
      }
    };
  },
});

/** Idempotent on every start; a cluster that forbids it gets a warning and the commands in docs/operations.md. */
async function ensureSearchAttributes(address: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const added = await registerSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
    if (added.length > 0) logger.info({ added }, 'registered search attributes');
  } catch (err) {
    logger.warn({ err }, 'could not register search attributes; see docs/operations.md');
  } finally {
    await connection.close();
  }
}
