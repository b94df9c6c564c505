/** Operator routes: tenants and their API keys. */
import { z } from 'zod';
import { newId } from '../../ids';
import { idSchema } from '../../client/schemas';
import type { ApiDeps } from '../deps';
import { HttpError } from '../../errors';
import { route } from '../route';
import { createTenantSchema } from '../schemas';
import type { TenantRecord } from '../../store/tenant-repository';

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
      errors: [404],
      handler: async ({ params, body }) => {
        const tenant = await deps.store.tenants.setRetention(params.tenantId, body.retentionDays);
        if (!tenant) throw new HttpError(404, 'not_found', 'tenant not found');
        return tenantView(tenant);
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
      errors: [404],
      handler: async ({ params }) => {
        if (!(await deps.store.tenants.findById(params.tenantId)))
          throw new HttpError(404, 'not_found', 'tenant not found');
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
