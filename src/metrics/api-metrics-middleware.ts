/**
 * The API's request metrics: duration by method, route pattern and status, and what POST /v1/events did with
 * each event (accepted by type, or rejected by the error code it answered). The route label is the declared
 * pattern (`/v1/webhooks/:id`), matched here from the route declarations, so a request refused before
 * routing (401, 429) still has its route, and an unknown path is `unmatched`: never an ID from a path.
 */
import type { RequestHandler } from 'express';
import type { ApiMetrics } from './metrics';
import { PLATFORM_EVENTS } from '../store/model';

interface RoutePattern {
  method: string;
  pattern: string;
  regex: RegExp;
}

const STATIC_ROUTES: [string, string][] = [
  ['get', '/healthz'],
  ['get', '/readyz'],
  ['get', '/openapi.json'],
  ['get', '/metrics'],
];

function compile(method: string, pattern: string): RoutePattern {
  const source = pattern
    .split('/')
    .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return { method, pattern, regex: new RegExp(`^${source}/?$`, 'i') };
}

export function routeMatcher(routes: { method: string; path: string }[]): (method: string, path: string) => string {
  const patterns = [...STATIC_ROUTES.map(([m, p]) => compile(m, p)), ...routes.map((r) => compile(r.method, r.path))];
  return (method, path) => {
    const lower = method.toLowerCase();
    if (/^\/docs(\/|$)/i.test(path)) return '/docs';
    const found = patterns.find(
      (p) => (p.method === lower || (lower === 'head' && p.method === 'get')) && p.regex.test(path),
    );
    return found?.pattern ?? 'unmatched';
  };
}

const EVENT_TYPES = new Set<string>(PLATFORM_EVENTS);

export function apiMetricsMiddleware(metrics: ApiMetrics, routes: { method: string; path: string }[]): RequestHandler {
  const match = routeMatcher(routes);
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const path = (req.originalUrl || req.url).split('?')[0] ?? '';
    const route = match(req.method, path);
    const publishing = route === '/v1/events' && req.method === 'POST';
    let errorCode: string | undefined;
    if (publishing) {
      const json = res.json.bind(res);
      res.json = (body: unknown) => {
        const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
        if (typeof code === 'string') errorCode = code;
        return json(body);
      };
    }
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const status = String(res.statusCode);
      metrics.requestDuration.observe({ method: req.method, route, status }, seconds);
      if (!publishing) return;
      if (res.statusCode === 202) {
        const type = (req.body as { event?: unknown } | undefined)?.event;
        metrics.eventsAccepted.inc({ event_type: typeof type === 'string' && EVENT_TYPES.has(type) ? type : 'other' });
      } else {
        // Error codes are a fixed set of ours; anything else (never expected) is its status.
        const reason = errorCode && /^[a-z_]{1,40}$/.test(errorCode) ? errorCode : `http_${status}`;
        metrics.eventsRejected.inc({ reason });
      }
    });
    next();
  };
}
