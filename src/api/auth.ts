/**
 * API keys: `Authorization: Bearer <key>`. The operator key (ADMIN_API_KEY) manages tenants and their keys,
 * the platform key (PLATFORM_API_KEY) publishes events, and a tenant's keys reach only its own resources.
 */
import crypto from 'node:crypto';
import type { RequestHandler } from 'express';
import { hashApiKey, type TenantRepository } from '../store/tenant-repository';
import { HttpError } from '../errors';
import { clientAddressKey, type FailedAuthLimiter } from './auth-failures';
import type { PortalCapability, PortalSessionRepository, PortalTheme } from '../store/portal-session-repository';
import { portalSessionToken, sameOriginStateChange } from '../portal/session-cookie';

export type Role = 'admin' | 'platform' | 'tenant';
export type Caller =
  | { role: 'anonymous' }
  | { role: 'admin' }
  | { role: 'platform' }
  | { role: 'tenant'; tenantId: string; keyId: string; portal?: PortalCaller };

/** A tenant portal session: a tenant caller whose capabilities its creator chose. */
export interface PortalCaller {
  sessionId: string;
  capabilities: PortalCapability[];
  theme: PortalTheme;
  /** The token its page sends back on every change (checked before the route runs). */
  csrfToken: string;
  expiresAt: Date;
}

export interface AuthDeps {
  tenants: Pick<TenantRepository, 'findKeyByHash'>;
  adminApiKey?: string;
  platformApiKey?: string;
  /** Limits failed authentications per client address; without it, guesses are not limited. */
  failedAuth?: FailedAuthLimiter;
  /** Portal sessions: a request without an API key may carry a portal session cookie instead. */
  portalSessions?: Pick<PortalSessionRepository, 'findLive'>;
}

function sameKey(hash: string, configured: string | undefined): boolean {
  if (!configured) return false;
  return crypto.timingSafeEqual(Buffer.from(hash, 'hex'), Buffer.from(hashApiKey(configured), 'hex'));
}

/**
 * Identifies the caller (res.locals.caller); a route decides whether that caller may proceed. The scheme is
 * case-insensitive and may be followed by any whitespace: every spelling of a key is the same caller, which is
 * what the per-key rate limit counts.
 */
export function identifyCaller(deps: AuthDeps): RequestHandler {
  return (req, res, next) => {
    const header = req.headers.authorization;
    const sessionToken = header ? undefined : portalSessionToken(req);
    if (sessionToken && deps.portalSessions) {
      identifyPortalSession(deps.portalSessions, sessionToken, req, res, next);
      return;
    }
    if (!header) {
      res.locals.caller = { role: 'anonymous' } satisfies Caller;
      next();
      return;
    }
    const verdict = deps.failedAuth?.begin(clientAddressKey(req));
    if (verdict && !verdict.allowed) {
      res.setHeader('Retry-After', String(verdict.retryAfterSeconds));
      next(
        new HttpError(
          429,
          'rate_limited',
          `Too many failed authentications from this address: at most ${deps.failedAuth?.perMinute} a minute`,
          { retryAfterSeconds: verdict.retryAfterSeconds },
        ),
      );
      return;
    }
    const attempt = verdict?.attempt;
    const identified = (caller: Caller): void => {
      attempt?.release();
      res.locals.caller = caller;
      next();
    };
    const refused = (message: string): void => {
      attempt?.fail();
      next(new HttpError(401, 'unauthorized', message));
    };
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) {
      refused('Authorization must be "Bearer <api key>"');
      return;
    }
    const hash = hashApiKey(match[1]);
    if (sameKey(hash, deps.adminApiKey)) {
      identified({ role: 'admin' });
      return;
    }
    if (sameKey(hash, deps.platformApiKey)) {
      identified({ role: 'platform' });
      return;
    }
    deps.tenants.findKeyByHash(hash).then(
      (key) => {
        if (key) identified({ role: 'tenant', tenantId: key.tenantId, keyId: key._id });
        else refused('Invalid API key');
      },
      (err: unknown) => {
        attempt?.release();
        next(err);
      },
    );
  };
}

/**
 * A portal cookie is a tenant caller with the session's capabilities. Every state change must also carry the
 * session's CSRF token and come from this origin: the cookie alone proves only that a browser holds it.
 */
function identifyPortalSession(
  sessions: Pick<PortalSessionRepository, 'findLive'>,
  token: string,
  req: Parameters<RequestHandler>[0],
  res: Parameters<RequestHandler>[1],
  next: Parameters<RequestHandler>[2],
): void {
  sessions.findLive(token, new Date()).then(
    (session) => {
      if (!session) {
        next(new HttpError(401, 'session_expired', 'The portal session has expired or was revoked: open a new link'));
        return;
      }
      const problem = sameOriginStateChange(req, session.csrfToken ?? '');
      if (problem) {
        next(new HttpError(403, 'csrf_failed', problem));
        return;
      }
      res.locals.caller = {
        role: 'tenant',
        tenantId: session.tenantId,
        keyId: `portal:${session._id}`,
        portal: {
          sessionId: session._id,
          capabilities: session.capabilities,
          theme: session.theme,
          csrfToken: session.csrfToken ?? '',
          expiresAt: session.expiresAt ?? new Date(0),
        },
      } satisfies Caller;
      next();
    },
    (err: unknown) => next(err),
  );
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
