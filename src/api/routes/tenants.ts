/** Operator routes: tenants and their API keys. */
import { z } from 'zod';
import { newId } from '../../ids';
import { idSchema } from '../../client/schemas';
import type { ApiDeps } from '../deps';
import { HttpError } from '../../errors';
import { route } from '../route';
import { createTenantSchema } from '../schemas';
import type { TenantRecord } from '../../store/tenant-repository';
import { ERASURE_STAGES, type ErasureRecord } from '../../store/erasure-repository';

const tenantSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    retentionDays: z
      .number()
      .nullable()
      .meta({ description: "Days its finished deliveries are kept; null: the engine's RETENTION_DAYS" }),
    createdAt: z.string(),
  })
  .meta({ id: 'Tenant' });
const updateTenantSchema = z
  .object({
    retentionDays: z
      .number()
      .int()
      .min(1)
      .max(400)
      .nullable()
      .meta({ description: 'Days to keep its finished deliveries, attempts and events (1–400); null: the default' }),
  })
  .strict()
  .meta({ id: 'UpdateTenant' });

function tenantView(t: TenantRecord) {
  return { id: t._id, name: t.name, retentionDays: t.retentionDays ?? null, createdAt: t.createdAt.toISOString() };
}
const issuedKeySchema = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    key: z.string().meta({ description: 'Shown only in this response; store it now' }),
    prefix: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'IssuedApiKey' });
const tenantParams = z.object({ tenantId: idSchema });
const erasureSchema = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    status: z.enum(['running', 'completed']),
    stage: z.enum(ERASURE_STAGES).meta({
      description:
        'stopping: keys revoked, webhooks gone, its workflows being stopped; deleting: its records; histories: its workflow executions in Temporal; completed',
    }),
    requestedAt: z.string(),
    sendingStoppedAt: z.string().nullable().meta({
      description:
        'From when nothing more reaches its receivers (set before the DELETE answered, unless an attempt outlasted the wait)',
    }),
    completedAt: z.string().nullable(),
    deleted: z
      .object({
        apiKeys: z.number(),
        webhooks: z.number(),
        events: z.number(),
        deliveries: z.number(),
        attempts: z.number(),
        workflows: z.number().meta({
          description:
            'Deletions of its workflow executions asked of Temporal (its listing lags: one may be asked twice)',
        }),
      })
      .meta({ description: 'What has been deleted so far' }),
  })
  .meta({ id: 'TenantErasure' });

function erasureView(e: ErasureRecord) {
  return {
    id: e._id,
    tenantId: e.tenantId,
    status: e.stage === 'completed' ? ('completed' as const) : ('running' as const),
    stage: e.stage,
    requestedAt: e.requestedAt.toISOString(),
    sendingStoppedAt: e.sendingStoppedAt?.toISOString() ?? null,
    completedAt: e.completedAt?.toISOString() ?? null,
    deleted: e.deleted,
  };
}

/** A tenant that may still be changed: it exists and no erasure of it has begun. */
export async function changeableTenant(deps: ApiDeps, tenantId: string): Promise<TenantRecord> {
  const tenant = await deps.store.tenants.findById(tenantId);
  if (!tenant) throw new HttpError(404, 'not_found', 'tenant not found');
  if (tenant.erasureId) throw new HttpError(409, 'tenant_erasing', `tenant is being erased (${tenant.erasureId})`);
  return tenant;
}

export function tenantRoutes(deps: ApiDeps) {
  return [
    route({
      method: 'post',
      path: '/v1/tenants',
      roles: ['admin'],
      tag: 'Tenants',
      summary: 'Create a tenant',
      body: createTenantSchema,
      success: { status: 201, description: 'The tenant', schema: tenantSchema },
      errors: [409],
      handler: async ({ body }) => {
        const tenant = await deps.store.tenants.create({
          _id: body.tenantId ?? newId('ten'),
          name: body.name,
          createdAt: new Date(),
        });
        return tenantView(tenant);
      },
    }),
    route({
      method: 'patch',
      path: '/v1/tenants/:tenantId',
      roles: ['admin'],
      tag: 'Tenants',
      summary: 'Set a tenant\'s own retention (docs/operations.md, "Retention")',
      params: tenantParams,
      body: updateTenantSchema,
      success: { status: 200, description: 'The tenant', schema: tenantSchema },
      errors: [404, 409],
      errorCodes: { 409: '`tenant_erasing`: the tenant is being erased' },
      handler: async ({ params, body }) => {
        await changeableTenant(deps, params.tenantId);
        const tenant = await deps.store.tenants.setRetention(params.tenantId, body.retentionDays);
        if (!tenant) throw new HttpError(404, 'not_found', 'tenant not found');
        return tenantView(tenant);
      },
    }),
    route({
      method: 'delete',
      path: '/v1/tenants/:tenantId',
      roles: ['admin'],
      tag: 'Tenants',
      summary:
        'Erase a tenant: its keys stop working and nothing more is sent to its endpoints before the answer; then its webhooks, events, deliveries, attempts and workflow histories are deleted by a durable workflow (GET /v1/erasures/{id} says how far). Idempotent: a second call answers the same erasure',
      params: tenantParams,
      success: {
        status: 202,
        description: 'The erasure, under way (or completed, for a repeated call)',
        schema: erasureSchema,
        headers: z.object({ Location: z.string().meta({ description: '/v1/erasures/{id}: its progress' }) }),
      },
      errors: [404],
      handler: async ({ params, res }) => {
        const erasure = await deps.engine.eraseTenant(params.tenantId);
        res.setHeader('Location', `/v1/erasures/${erasure._id}`);
        return erasureView(erasure);
      },
    }),
    route({
      method: 'get',
      path: '/v1/erasures/:erasureId',
      roles: ['admin'],
      tag: 'Tenants',
      summary: "A tenant erasure's progress",
      params: z.object({ erasureId: idSchema }),
      success: { status: 200, description: 'The erasure', schema: erasureSchema },
      errors: [404],
      handler: async ({ params }) => {
        const erasure = await deps.store.erasures.findById(params.erasureId);
        if (!erasure) throw new HttpError(404, 'not_found', 'erasure not found');
        return erasureView(erasure);
      },
    }),
    route({
      method: 'post',
      path: '/v1/tenants/:tenantId/api-keys',
      roles: ['admin'],
      tag: 'Tenants',
      summary: 'Issue an API key for a tenant (shown once)',
      params: tenantParams,
      success: { status: 201, description: 'The new key', schema: issuedKeySchema },
      errors: [404, 409],
      errorCodes: { 409: '`tenant_erasing`: the tenant is being erased' },
      handler: async ({ params }) => {
        await changeableTenant(deps, params.tenantId);
        const { record, key } = await deps.store.tenants.issueKey(params.tenantId, new Date());
        return {
          id: record._id,
          tenantId: record.tenantId,
          key,
          prefix: record.prefix,
          createdAt: record.createdAt.toISOString(),
        };
      },
    }),
    route({
      method: 'delete',
      path: '/v1/tenants/:tenantId/api-keys/:keyId',
      roles: ['admin'],
      tag: 'Tenants',
      summary: 'Revoke an API key',
      params: tenantParams.extend({ keyId: idSchema }),
      success: { status: 204, description: 'Revoked' },
      errors: [404],
      handler: async ({ params }) => {
        if (!(await deps.store.tenants.revokeKey(params.tenantId, params.keyId))) {
          throw new HttpError(404, 'not_found', 'API key not found');
        }
      },
    }),
  ];
}
