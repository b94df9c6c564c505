/**
 * API keys: `Authorization: Bearer <key>`. The operator key (ADMIN_API_KEY) manages tenants and their keys,
 * the platform key (PLATFORM_API_KEY) publishes events, and a tenant's keys reach only its own resources.
 */
import crypto from 'node:crypto';
import type { RequestHandler } from 'express';
import { hashApiKey, type TenantRepository } from '../store/tenant-repository';
import { HttpError } from '../errors';

export type Role = 'admin' | 'platform' | 'tenant';
export type Caller =
  | { role: 'anonymous' }
  | { role: 'admin' }
  | { role: 'platform' }
  | { role: 'tenant'; tenantId: string; keyId: string };

export interface AuthDeps {
  tenants: Pick<TenantRepository, 'findKeyByHash'>;
  adminApiKey?: string;
  platformApiKey?: string;
}

function sameKey(hash: string, configured: string | undefined): boolean {
  if (!configured) return false;
  return crypto.timingSafeEqual(Buffer.from(hash, 'hex'), Buffer.from(hashApiKey(configured), 'hex'));
}

/** Identifies the caller (res.locals.caller); a route decides whether that caller may proceed. */
export function identifyCaller(deps: AuthDeps): RequestHandler {
  return (req, res, next) => {
    const header = req.headers.authorization;
    if (!header) {
      res.locals.caller = { role: 'anonymous' } satisfies Caller;
      next();
      return;
    }
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) {
      next(new HttpError(401, 'unauthorized', 'Authorization must be "Bearer <api key>"'));
      return;
    }
    const hash = hashApiKey(match[1]);
    if (sameKey(hash, deps.adminApiKey)) {
      res.locals.caller = { role: 'admin' } satisfies Caller;
      next();
      return;
    }
    if (sameKey(hash, deps.platformApiKey)) {
      res.locals.caller = { role: 'platform' } satisfies Caller;
      next();
      return;
    }
    deps.tenants
      .findKeyByHash(hash)
      .then((key) => {
        if (!key) throw new HttpError(401, 'unauthorized', 'Invalid API key');
        res.locals.caller = { role: 'tenant', tenantId: key.tenantId, keyId: key._id } satisfies Caller;
        next();
      })
      .catch(next);
  };
}

export function authorize(caller: Caller, roles: Role[]): void {
  if (roles.length === 0) return;
  if (caller.role === 'anonymous')
    throw new HttpError(401, 'unauthorized', 'An API key is required: Authorization: Bearer <key>');
  if (!roles.includes(caller.role)) throw new HttpError(403, 'forbidden', 'This API key may not use this route');
}

export function tenantOf(caller: Caller): string {
  if (caller.role !== 'tenant') throw new HttpError(403, 'forbidden', 'A tenant API key is required');
  return caller.tenantId;
}
