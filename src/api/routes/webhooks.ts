/** Tenant routes: webhooks, their secret, test events, deliveries and recovery. */
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { tenantOf } from '../auth';
import { HttpError } from '../../errors';
import { pageOfDeliveries } from '../delivery-listing';
import { decodeCursor, encodeCursor, idCursor } from '../pagination';
import { mask, outcomeView, webhookView } from '../presenters';
import { route } from '../route';
import {
  attemptOutcomeSchema,
  deliveryPageSchema,
  listDeliveriesQuerySchema,
  listWebhooksQuerySchema,
  pageOf,
  recoverSchema,
  webhookSchema,
  idParamsSchema,
} from '../schemas';
import { createWebhookSchema, rotateSecretSchema, updateWebhookSchema } from '../../webhooks/schemas';

export function webhookRoutes(deps: ApiDeps) {
  const load = async (tenantId: string, id: string) => {
    const webhook = await deps.store.webhooks.findForTenant(tenantId, id);
    if (!webhook) throw new HttpError(404, 'not_found', 'webhook not found');
    return webhook;
  };

  return [
    route({
      method: 'post',
      path: '/v1/webhooks',
      roles: ['tenant'],
      tag: 'Webhooks',
      summary: 'Create a webhook',
      body: createWebhookSchema,
      success: { status: 201, description: 'The webhook, credentials masked', schema: webhookSchema },
      errors: [409],
      handler: async ({ caller, body }) =>
        webhookView(
          await deps.webhooks.create(tenantOf(caller), body),
          undefined,
          deps.secrets,
          deps.webhookDisableAfterSeconds,
        ),
    }),
    route({
      method: 'get',
      path: '/v1/webhooks',
      roles: ['tenant'],
      tag: 'Webhooks',
      summary: "List the tenant's webhooks",
      query: listWebhooksQuerySchema,
      success: { status: 200, description: 'A page of webhooks', schema: pageOf(webhookSchema, 'WebhookPage') },
      handler: async ({ caller, query }) => {
        const after = decodeCursor(query.cursor, idCursor);
        const items = await deps.store.webhooks.list(
          tenantOf(caller),
          { event: query.event, status: query.status, afterId: after?.id },
          query.limit + 1,
        );
        const page = items.slice(0, query.limit);
        const last = page[page.length - 1];
        const states = await deps.store.endpointStates.findMany(page.map((w) => w._id));
        return {
          data: page.map((w) => webhookView(w, states.get(w._id), deps.secrets, deps.webhookDisableAfterSeconds)),
          nextCursor: items.length > query.limit && last ? encodeCursor({ id: last._id }) : null,
        };
      },
    }),
    route({
      method: 'get',
      path: '/v1/webhooks/:id',
      roles: ['tenant'],
      tag: 'Webhooks',
      summary: 'Get a webhook, with how many of its deliveries are paused',
      params: idParamsSchema,
      success: {
        status: 200,
        description: 'The webhook',
        schema: webhookSchema
          .extend({
            pausedDeliveries: z.number().meta({ description: 'Deliveries waiting for the webhook to be active' }),
          })
          .meta({ id: 'WebhookWithCounts' }),
      },
      errors: [404],
      handler: async ({ caller, params }) => {
        const webhook = await load(tenantOf(caller), params.id);
        const [pausedDeliveries, state] = await Promise.all([
          deps.store.deliveries.countForWebhook(webhook._id, ['paused']),
          deps.store.endpointStates.find(webhook._id),
        ]);
        return { ...webhookView(webhook, state, deps.secrets, deps.webhookDisableAfterSeconds), pausedDeliveries };
      },
    }),
    route({
      method: 'patch',
      path: '/v1/webhooks/:id',
      roles: ['tenant'],
      tag: 'Webhooks',
      summary: 'Change a webhook; setting status pauses or resumes its in-flight deliveries',
      params: idParamsSchema,
      body: updateWebhookSchema,
      success: {
        status: 200,
        description: 'The webhook, and how many running deliveries were paused or resumed',
        schema: webhookSchema
          .extend({
            handedToDeliveries: z.number().meta({
              description:
                'Open deliveries the status change was handed to (paused or resumed durably, in the background)',
            }),
          })
          .meta({ id: 'UpdatedWebhook' }),
      },
      errors: [404],
      handler: async ({ caller, params, body }) => {
        const { webhook, handedTo } = await deps.webhooks.update(tenantOf(caller), params.id, body);
        const state = await deps.store.endpointStates.find(webhook._id);
        return {
          ...webhookView(webhook, state, deps.secrets, deps.webhookDisableAfterSeconds),
          handedToDeliveries: handedTo,
        };
      },
    }),
    route({
      method: 'delete',
      path: '/v1/webhooks/:id',
      roles: ['tenant'],
      tag: 'Webhooks',
      summary: 'Delete a webhook; its running deliveries stop, their records stay',
      params: idParamsSchema,
      success: {
        status: 200,
        description: 'Deleted',
        schema: z.object({ deleted: z.literal(true), cancelledDeliveries: z.number() }).meta({ id: 'DeletedWebhook' }),
      },
      errors: [404],
      handler: async ({ caller, params }) => {
        const { cancelled } = await deps.engine.deleteWebhook(tenantOf(caller), params.id);
        return { deleted: true, cancelledDeliveries: cancelled };
      },
    }),
    route({
      method: 'get',
      path: '/v1/webhooks/:id/secret',
      roles: ['tenant'],
      capability: 'view_secrets',
      tag: 'Webhooks',
      summary: "Reveal the webhook's signing secret",
      params: idParamsSchema,
      success: {
        status: 200,
        description: 'The signing secret, or null',
        schema: z.object({ signingSecret: z.string().nullable() }).meta({ id: 'SigningSecret' }),
      },
      errors: [404],
      handler: async ({ caller, params }) => {
        const webhook = await load(tenantOf(caller), params.id);
        return { signingSecret: webhook.signingSecret ? deps.secrets.open(webhook.signingSecret) : null };
      },
    }),
    route({
      method: 'post',
      path: '/v1/webhooks/:id/secret/rotate',
      roles: ['tenant'],
      tag: 'Webhooks',
      summary: 'Rotate the signing secret; the old one keeps signing for a grace period',
      params: idParamsSchema,
      body: rotateSecretSchema,
      success: {
        status: 200,
        description: 'The new secret (shown so you can configure your receiver) and when the old one stops',
        schema: z
          .object({ signingSecret: z.string(), previousSecretExpiresAt: z.string().nullable() })
          .meta({ id: 'RotatedSecret' }),
      },
      errors: [404],
      handler: async ({ caller, params, body }) => {
        const { secret, previousExpiresAt } = await deps.webhooks.rotateSecret(tenantOf(caller), params.id, body);
        // A portal session that may not see secrets may rotate one, but sees the new one masked like GET does.
        const hidden =
          caller.role === 'tenant' && caller.portal && !caller.portal.capabilities.includes('view_secrets');
        return {
          signingSecret: hidden ? mask(secret) : secret,
          previousSecretExpiresAt: previousExpiresAt?.toISOString() ?? null,
        };
      },
    }),
    route({
      method: 'post',
      path: '/v1/webhooks/:id/test',
      roles: ['tenant'],
      tag: 'Webhooks',
      summary: 'Send a sample event through the real delivery path and report the attempt',
      params: idParamsSchema,
      success: { status: 200, description: "The attempt's outcome", schema: attemptOutcomeSchema },
      errors: [404],
      handler: async ({ caller, params }) => {
        const { deliveryId, result } = await deps.engine.sendTestEvent(tenantOf(caller), params.id);
        const attempt =
          result && 'attempt' in result ? await deps.store.deliveries.findAttempt(deliveryId, result.attempt) : null;
        return outcomeView(deliveryId, result, attempt);
      },
    }),
    route({
      method: 'get',
      path: '/v1/webhooks/:id/deliveries',
      roles: ['tenant'],
      tag: 'Deliveries',
      summary: "List a webhook's deliveries, newest first",
      params: idParamsSchema,
      query: listDeliveriesQuerySchema,
      success: { status: 200, description: 'A page of deliveries', schema: deliveryPageSchema },
      errors: [404],
      handler: async ({ caller, params, query }) => {
        const tenantId = tenantOf(caller);
        await load(tenantId, params.id);
        return pageOfDeliveries(deps.store, tenantId, { ...query, webhookId: params.id });
      },
    }),
    route({
      method: 'post',
      path: '/v1/webhooks/:id/recover',
      roles: ['tenant'],
      tag: 'Deliveries',
      summary: 'Re-send failed deliveries and events skipped while inactive, paced',
      params: idParamsSchema,
      body: recoverSchema,
      success: {
        status: 202,
        description: 'How many deliveries were queued (with dryRun: would be; nothing started, workflowId null)',
        schema: z.object({ queued: z.number(), workflowId: z.string().nullable() }).meta({ id: 'RecoverResult' }),
      },
      errors: [404, 409],
      handler: async ({ caller, params, body }) =>
        deps.engine.recoverWebhook(
          tenantOf(caller),
          params.id,
          new Date(body.since),
          body.until ? new Date(body.until) : new Date(),
          { dryRun: body.dryRun },
        ),
    }),
  ];
}
