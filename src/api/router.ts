/** Mounts declared routes on Express: authorize, parse params/query/body with zod (400 with field paths), answer. */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { idSchema } from '../client/schemas';
import { authorize, type Caller, type PortalCaller } from './auth';
import { HttpError } from '../errors';
import type { RouteSpec } from './route';

export function validationError(error: z.ZodError, where: 'body' | 'query' | 'path'): HttpError {
  const details = error.issues.map((issue) => ({
    field: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  const first = details[0];
  return new HttpError(
    400,
    'validation_failed',
    first ? `${first.field}: ${first.message}` : 'Invalid request',
    details,
  );
}

function parse<T extends z.ZodType>(
  schema: T | undefined,
  value: unknown,
  where: 'body' | 'query' | 'path',
): z.output<T> | undefined {
  if (!schema) return undefined;
  const result = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (!result.success) throw validationError(result.error, where);
  return result.data;
}

/** Every path parameter is an ID, whatever a route's own schema says: one pattern, no "..", no "/". */
function pathIdsSchema(path: string): z.ZodType | undefined {
  const names = [...path.matchAll(/:(\w+)/g)].map((m) => m[1] ?? '');
  return names.length > 0 ? z.object(Object.fromEntries(names.map((name) => [name, idSchema]))) : undefined;
}

/** A portal session may call a route only with the capability the route needs (RouteSpec.capability). */
export function requireCapability(session: PortalCaller, spec: Pick<RouteSpec, 'capability' | 'method'>): void {
  const needed = spec.capability ?? (spec.method === 'get' ? 'read' : 'manage_endpoints');
  if (needed === 'read') return;
  if (needed === 'none' || !session.capabilities.includes(needed)) {
    throw new HttpError(
      403,
      'forbidden',
      needed === 'none'
        ? 'A portal session may not use this route'
        : `This portal session does not have the ${needed} capability`,
    );
  }
}

export function mountRoutes(routes: RouteSpec[]): Router {
  const router = Router();
  for (const spec of routes) {
    const pathIds = pathIdsSchema(spec.path);
    router[spec.method](spec.path, async (req: Request, res: Response) => {
      const caller = res.locals.caller as Caller;
      authorize(caller, spec.roles);
      if (caller.role === 'tenant' && caller.portal) requireCapability(caller.portal, spec);
      parse(pathIds, req.params, 'path');
      const params = parse(spec.params, req.params, 'path');
      const query = parse(spec.query, req.query, 'query');
      const body = parse(spec.body, req.body, 'body');
      const result = await spec.handler({
        caller,
        headers: req.headers,
        params: params ?? {},
        query: query ?? {},
        body,
        res,
      });
      if (spec.success.status === 204) res.status(204).end();
      // A handler may answer another documented status (202: accepted, not finished) through res.locals.status.
      else res.status((res.locals.status as number | undefined) ?? spec.success.status).json(result);
    });
  }
  return router;
}
