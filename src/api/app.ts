/** Builds the admin API's Express app from its dependencies; `listen` belongs to the entry point. */
import express from 'express';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import { identifyCaller, type Caller } from './auth';
import { FailedAuthLimiter } from './auth-failures';
import type { ApiDeps } from './deps';
import { errorHandler, notFoundHandler, requireJsonBody } from './errors';
import { apiMetricsMiddleware } from '../metrics/api-metrics-middleware';
import { buildOpenApiDocument } from './openapi';
import type { RouteSpec } from './route';
import { rateLimitPerKey } from './rate-limit';
import { mountRoutes } from './router';
import { deliveryRoutes } from './routes/deliveries';
import { eventRoutes } from './routes/events';
import { healthRoutes } from './routes/health';
import { portalRoutes } from './routes/portal';
import { portalRouter } from '../portal/portal-static';
import { tenantRoutes } from './routes/tenants';
import { webhookRoutes } from './routes/webhooks';
import {
  DEFAULT_OCCURRED_AT_WINDOW,
  publishEventBodySchema,
  publishEventBodyWithin,
  type OccurredAtWindow,
} from './schemas';

export type { ApiDeps } from './deps';

export const DEFAULT_AUTH_FAILURES_PER_MINUTE = 100;

export function apiRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    ...tenantRoutes(deps),
    ...portalRoutes(deps),
    ...webhookRoutes(deps),
    ...eventRoutes(deps),
    ...deliveryRoutes(deps),
  ].map((spec) =>
    withOccurredAtWindow(spec, {
      maxAgeSeconds: deps.occurredAtMaxAgeSeconds ?? DEFAULT_OCCURRED_AT_WINDOW.maxAgeSeconds,
      maxFutureSeconds: deps.occurredAtMaxFutureSeconds ?? DEFAULT_OCCURRED_AT_WINDOW.maxFutureSeconds,
    }),
  );
}

/**
 * The publish route declares the plain body schema; occurredAt is held here to the configured window (the
 * default one without configuration), so the route, its validation and its OpenAPI entry stay one declaration.
 */
function withOccurredAtWindow(spec: RouteSpec, window: OccurredAtWindow): RouteSpec {
  return spec.body === publishEventBodySchema ? { ...spec, body: publishEventBodyWithin(window) } : spec;
}

/** A request's path as the access log shows it: without its query string, tenant API keys masked. */
export function loggedPath(url: string | undefined): string {
  const path = (url ?? '').split('?')[0] ?? '';
  return path.replace(/dfk_[A-Za-z0-9_-]+/g, 'dfk_[redacted]');
}

export function createApp(deps: ApiDeps): express.Express {
  const routes = apiRoutes(deps);
  const openApi = buildOpenApiDocument(routes);
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // Which proxies' X-Forwarded-For to believe for the client address (req.ip); none unless configured.
  app.set('trust proxy', deps.trustProxy ?? false);
  app.use(
    pinoHttp({
      logger: deps.logger.child({ module: 'api' }),
      autoLogging: { ignore: (req) => /^\/(healthz|readyz|metrics)(\?|$)/.test(req.url ?? '') },
      // An open portal polls every few seconds: its successful reads are debug lines, so they do not bury the rest.
      customLogLevel: (req, res, err) => {
        if (err || res.statusCode >= 500) return 'error';
        const caller = (res as typeof res & { locals?: { caller?: Caller } }).locals?.caller;
        const portalRead = caller?.role === 'tenant' && caller.portal !== undefined && req.method === 'GET';
        return portalRead && res.statusCode < 400 ? 'debug' : 'info';
      },
      // Requests are logged by method, path and status: no headers, no body, no query string (a client may
      // put its key in ?api_key=), and a tenant key pasted into the path is masked.
      serializers: {
        req: (req: { method: string; url: string }) => ({ method: req.method, url: loggedPath(req.url) }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  const metrics = deps.metrics;
  if (metrics) {
    app.use(apiMetricsMiddleware(metrics, routes));
    // Public like /healthz: counts by route pattern, status, reason and event type only, nothing per tenant.
    app.get('/metrics', async (_req, res) => {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  }
  app.use(healthRoutes({ checks: deps.healthChecks, timeoutMs: deps.healthTimeoutMs }));
  app.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(openApi, { customSiteTitle: 'Docflo Webhooks API' }));
  app.use(portalRouter({ frameAncestors: deps.portal.frameAncestors }));
  // Who is calling first (failed attempts limited per address), then the limit per identity, then the body.
  app.use(
    identifyCaller({
      tenants: deps.store.tenants,
      adminApiKey: deps.adminApiKey,
      platformApiKey: deps.platformApiKey,
      failedAuth: new FailedAuthLimiter(deps.authFailuresPerMinute ?? DEFAULT_AUTH_FAILURES_PER_MINUTE),
      portalSessions: deps.store.portalSessions,
    }),
  );
  app.use(rateLimitPerKey(deps.rateLimitPerMinute));
  app.use(requireJsonBody);
  app.use(express.json({ limit: deps.bodyLimitBytes, strict: true }));
  app.use(mountRoutes(routes));
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
