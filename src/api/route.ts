/**
 * A route is declared once: its method, path, who may call it, its zod schemas and its handler. The Express
 * router and the OpenAPI document are both derived from these declarations.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Response } from 'express';
import type { z } from 'zod';
import type { Caller, Role } from './auth';
import type { PortalCapability } from '../store/portal-session-repository';

export interface RouteContext<P, Q, B> {
  caller: Caller;
  /** The request's headers (lower-case names), for the few routes that read one. */
  headers: IncomingHttpHeaders;
  params: P;
  query: Q;
  body: B;
  res: Response;
}

type AnyObject = z.ZodType<Record<string, unknown>>;

export interface RouteSpec<
  P extends AnyObject = AnyObject,
  Q extends AnyObject = AnyObject,
  B extends z.ZodType = z.ZodType,
> {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** Express syntax: /v1/webhooks/:id */
  path: string;
  /** Callers allowed; empty for public routes. */
  roles: Role[];
  /**
   * What a portal session needs to call it: `read` (every session), a capability its creator granted, or
   * `none` (no portal session may). Default: `read` for GET, `manage_endpoints` for every change.
   */
  capability?: 'read' | PortalCapability | 'none';
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /**
   * `accepted`: the route may also answer 202 (same schema, set by the handler in res.locals.status).
   * `headers`: response headers it sets (documented in OpenAPI).
   */
  success: {
    status: number;
    description: string;
    schema?: z.ZodType;
    accepted?: string;
    headers?: z.ZodObject;
  };
  /** Error statuses this route can answer besides 400/401/403 where they apply. */
  errors?: number[];
  /** The error codes a status of this route carries, and when (documented in OpenAPI beside the status). */
  errorCodes?: Partial<Record<number, string>>;
  handler: (ctx: RouteContext<z.output<P>, z.output<Q>, z.output<B>>) => Promise<unknown>;
}

export function route<P extends AnyObject, Q extends AnyObject, B extends z.ZodType>(
  spec: RouteSpec<P, Q, B>,
): RouteSpec {
  return spec;
}
