/**
 * Tenant portal sessions: an operator (or a tenant's own key) asks for a single-use link; the portal page
 * spends it for a session cookie. A portal session itself can never make another one.
 */
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import type { Caller, PortalCaller } from '../auth';
import type { TenantRecord } from '../../store/tenant-repository';
import { HttpError } from '../../errors';
import { route } from '../route';
import { idSchema } from '../../client/schemas';
import { PORTAL_CAPABILITIES, type PortalSessionRecord } from '../../store/portal-session-repository';
import { clearSessionCookie, crossOriginProblem, setSessionCookie } from '../../portal/session-cookie';
import { changeableTenant } from './tenants';
import { createPortalLink } from '../../portal/portal-links';

const themeSchema = z
  .object({
    accentColor: z
      .string()
      .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour as #rrggbb')
      .optional()
      .meta({ description: 'Buttons, links and focus rings', example: '#0b6bcb' }),
    logoUrl: z
      .url({ protocol: /^https$/, error: 'must be an https:// URL' })
      .max(2048)
      .optional()
      .meta({ description: 'Shown in the header (https only)' }),
    mode: z.enum(['light', 'dark']).optional().meta({ description: "Default: the browser's preference" }),
  })
  .strict();

export const createPortalSessionSchema = z
  .object({
    capabilities: z
      .array(z.enum(PORTAL_CAPABILITIES))
      .max(PORTAL_CAPABILITIES.length)
      .default([])
      .transform((list) => [...new Set(list)])
      .meta({
        description:
          'None: read only. manage_endpoints: create, edit, pause, delete endpoints, rotate secrets, send test events, redeliver and recover. view_secrets: reveal signing secrets.',
      }),
    sessionTtlSeconds: z
      .number()
      .int()
      .min(60)
      .max(7 * 86_400)
      .optional()
      .meta({ description: 'How long the session lasts once the link is opened; default PORTAL_SESSION_TTL' }),
    theme: themeSchema.default({}),
  })
  .strict()
  .default({ capabilities: [], theme: {} })
  .meta({ id: 'CreatePortalSession' });

const sessionSchema = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    capabilities: z.array(z.enum(PORTAL_CAPABILITIES)),
    theme: themeSchema,
    createdAt: z.string(),
    linkExpiresAt: z.string(),
    openedAt: z.string().nullable(),
    expiresAt: z.string().nullable().meta({ description: 'Once opened: when the session ends' }),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'PortalSession' });

function sessionView(s: PortalSessionRecord) {
  return {
    id: s._id,
    tenantId: s.tenantId,
    capabilities: s.capabilities,
    theme: s.theme,
    createdAt: s.createdAt.toISOString(),
    linkExpiresAt: s.linkExpiresAt.toISOString(),
    openedAt: s.exchangedAt?.toISOString() ?? null,
    expiresAt: s.expiresAt?.toISOString() ?? null,
    revokedAt: s.revokedAt?.toISOString() ?? null,
  };
}

const meSchema = z
  .object({
    tenantId: z.string(),
    tenantName: z.string(),
    capabilities: z.array(z.enum(PORTAL_CAPABILITIES)),
    theme: themeSchema,
    expiresAt: z.string(),
    csrfToken: z.string().meta({ description: 'Send it back as X-CSRF-Token on every change' }),
  })
  .meta({ id: 'PortalMe' });

/** What the portal's page knows of its session (and the token it sends back on every change). */
function meView(
  tenant: Pick<TenantRecord, '_id' | 'name'>,
  session: Pick<PortalCaller, 'capabilities' | 'theme' | 'csrfToken' | 'expiresAt'>,
) {
  return {
    tenantId: tenant._id,
    tenantName: tenant.name,
    capabilities: session.capabilities,
    theme: session.theme,
    expiresAt: session.expiresAt.toISOString(),
    csrfToken: session.csrfToken,
  };
}

const tenantParams = z.object({ tenantId: idSchema });

/**
 * Who manages a tenant's sessions: the operator for any tenant that exists, a tenant's API key for its own
 * (another tenant is not found), never a portal session. Answers the creator's name for the record.
 */
async function sessionManager(deps: ApiDeps, caller: Caller, tenantId: string): Promise<string> {
  if (caller.role === 'tenant' && caller.portal)
    throw new HttpError(403, 'forbidden', 'A portal session cannot manage portal sessions');
  if (caller.role === 'tenant' && caller.tenantId === tenantId) return caller.keyId;
  if (caller.role === 'admin' && (await deps.store.tenants.findById(tenantId))) return 'admin';
  throw new HttpError(404, 'not_found', 'tenant not found');
}

export function portalRoutes(deps: ApiDeps) {
  const settings = deps.portal;
  return [
    route({
      method: 'post',
      path: '/v1/tenants/:tenantId/portal-sessions',
      roles: ['admin', 'tenant'],
      capability: 'none',
      tag: 'Portal',
      summary:
        "Make a single-use link to the tenant portal (operator key, or the tenant's own key); it expires in PORTAL_LINK_TTL",
      params: tenantParams,
      body: createPortalSessionSchema,
      success: {
        status: 201,
        description: 'The session and its link (shown only here)',
        schema: sessionSchema.extend({ url: z.string() }).meta({ id: 'PortalLink' }),
      },
      errors: [404, 409],
      errorCodes: { 409: '`tenant_erasing`: the tenant is being erased' },
      handler: async ({ caller, params, body }) => {
        const createdBy = await sessionManager(deps, caller, params.tenantId);
        await changeableTenant(deps, params.tenantId);
        const { record, url } = await createPortalLink(deps.store.portalSessions, settings, {
          tenantId: params.tenantId,
          capabilities: body.capabilities,
          theme: body.theme,
          createdBy,
          sessionTtlSeconds: body.sessionTtlSeconds,
        });
        return { ...sessionView(record), url };
      },
    }),
    route({
      method: 'get',
      path: '/v1/tenants/:tenantId/portal-sessions',
      roles: ['admin', 'tenant'],
      capability: 'none',
      tag: 'Portal',
      summary: "The tenant's portal sessions not yet expired or revoked, newest first",
      params: tenantParams,
      success: { status: 200, description: 'Sessions', schema: z.object({ data: z.array(sessionSchema) }) },
      errors: [404],
      handler: async ({ caller, params }) => {
        await sessionManager(deps, caller, params.tenantId);
        return { data: (await deps.store.portalSessions.listOpen(params.tenantId, new Date())).map(sessionView) };
      },
    }),
    route({
      method: 'delete',
      path: '/v1/tenants/:tenantId/portal-sessions/:sessionId',
      roles: ['admin', 'tenant'],
      capability: 'none',
      tag: 'Portal',
      summary: 'Revoke one portal session (its link, or its cookie at the next request)',
      params: tenantParams.extend({ sessionId: idSchema }),
      success: { status: 204, description: 'Revoked' },
      errors: [404],
      handler: async ({ caller, params }) => {
        await sessionManager(deps, caller, params.tenantId);
        if (!(await deps.store.portalSessions.revoke(params.tenantId, params.sessionId, new Date())))
          throw new HttpError(404, 'not_found', 'portal session not found');
      },
    }),
    route({
      method: 'delete',
      path: '/v1/tenants/:tenantId/portal-sessions',
      roles: ['admin', 'tenant'],
      capability: 'none',
      tag: 'Portal',
      summary: 'Revoke every portal session of the tenant',
      params: tenantParams,
      success: { status: 200, description: 'How many were revoked', schema: z.object({ revoked: z.number() }) },
      errors: [404],
      handler: async ({ caller, params }) => {
        await sessionManager(deps, caller, params.tenantId);
        return { revoked: await deps.store.portalSessions.revokeAll(params.tenantId, new Date()) };
      },
    }),
    route({
      method: 'post',
      path: '/portal/api/session',
      roles: [],
      tag: 'Portal',
      summary: "The portal page spends its link's token for a session cookie (HttpOnly, SameSite)",
      body: z
        .object({ token: z.string().min(1).max(200) })
        .strict()
        .meta({ id: 'PortalExchange' }),
      success: { status: 200, description: 'The session (and its cookie)', schema: meSchema },
      errors: [401, 403],
      errorCodes: {
        401: '`link_invalid`: the link was already used, has expired, was revoked or is wrong',
        403: '`csrf_failed`: the request came from another origin',
      },
      handler: async ({ body, res, headers }) => {
        // Another site may not sign a browser in to a session of its choosing (login CSRF).
        const crossOrigin = crossOriginProblem(headers);
        if (crossOrigin) throw new HttpError(403, 'csrf_failed', crossOrigin);
        const spent = await deps.store.portalSessions.exchange(body.token, new Date());
        if (!spent.ok) {
          throw new HttpError(401, 'link_invalid', 'This portal link was already used, has expired or was revoked');
        }
        const { record } = spent;
        const tenant = await deps.store.tenants.findById(record.tenantId);
        if (!tenant || tenant.erasureId)
          throw new HttpError(401, 'link_invalid', 'This portal link is no longer valid');
        const expiresAt = record.expiresAt ?? new Date();
        setSessionCookie(res, settings.cookie, spent.sessionToken, expiresAt);
        return meView(tenant, { ...record, csrfToken: record.csrfToken ?? '', expiresAt });
      },
    }),
    route({
      method: 'get',
      path: '/portal/api/session',
      roles: ['tenant'],
      tag: 'Portal',
      summary: 'The portal session the cookie carries',
      success: { status: 200, description: 'The session', schema: meSchema },
      errors: [401],
      handler: async ({ caller }) => {
        if (caller.role !== 'tenant' || !caller.portal) throw new HttpError(404, 'not_found', 'no portal session');
        const tenant = await deps.store.tenants.findById(caller.tenantId);
        if (!tenant) throw new HttpError(401, 'session_expired', 'The portal session has ended');
        return meView(tenant, caller.portal);
      },
    }),
    route({
      method: 'delete',
      path: '/portal/api/session',
      roles: ['tenant'],
      tag: 'Portal',
      summary: 'Sign out of the portal: the session is revoked and its cookie cleared',
      capability: 'read',
      success: { status: 204, description: 'Signed out' },
      handler: async ({ caller, res }) => {
        if (caller.role !== 'tenant' || !caller.portal) throw new HttpError(404, 'not_found', 'no portal session');
        await deps.store.portalSessions.revoke(caller.tenantId, caller.portal.sessionId, new Date());
        clearSessionCookie(res, settings.cookie);
      },
    }),
  ];
}
