/** Builds the admin API's Express app from its dependencies; `listen` belongs to the entry point. */
import express from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../logger';
import { errorHandler, notFoundHandler } from './errors';
import { healthRoutes } from './routes/health';

export interface AppDeps {
  logger: Logger;
  /** Named dependency checks for /healthz and /readyz. */
  healthChecks: Record<string, () => Promise<void>>;
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(
    pinoHttp({
      logger: deps.logger.child({ module: 'api' }),
      autoLogging: { ignore: (req) => req.url === '/healthz' },
    }),
  );
  app.use(healthRoutes({ checks: deps.healthChecks }));
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
