/** Shared entry-point plumbing: run main, stop cleanly on SIGINT/SIGTERM, force-exit if stopping hangs. */
import { loadConfig, type Config } from './config';
import { ConfigError } from './errors';
import type { Logger } from './logger';

/** The parsed environment; a bad one ends the process with the message naming each variable (no stack trace). */
export function configOrExit(env: NodeJS.ProcessEnv): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}

export function runUntilSignal(options: {
  logger: Logger;
  shutdownTimeoutMs: number;
  start: () => Promise<() => Promise<void>>;
}): void {
  const { logger } = options;
  let stop: (() => Promise<void>) | undefined;
  let stopping = false;

  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, options.shutdownTimeoutMs);
    timer.unref();
    (stop ?? (() => Promise.resolve()))()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  options
    .start()
    .then((stopFn) => {
      stop = stopFn;
      if (stopping) void stopFn().then(() => process.exit(0));
    })
    .catch((err: unknown) => {
      // Infra errors carry their fix in the message: print it plainly, not as a stack.
      logger.fatal(
        { err: err instanceof Error ? { message: err.message, code: (err as { code?: string }).code } : err },
        'failed to start',
      );
      process.exit(1);
    });
}
