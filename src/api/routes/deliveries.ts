/** A tenant's deliveries found by any filter, one delivery with its attempts, and manual redelivery. */
import { z } from 'zod';
import { tenantOf } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpError } from '../../errors';
import { attemptView, deliveryView, outcomeView } from '../presenters';
import { route } from '../route';
import { OPEN_DELIVERY_STATUSES } from '../../store/model';
import { pageOfDeliveries } from '../delivery-listing';
import {
  attemptOutcomeSchema,
  attemptSchema,
  deliverySchema,
  idParamsSchema,
  listTenantDeliveriesQuerySchema,
  deliveryPageSchema,
} from '../schemas';

export function deliveryRoutes(deps: ApiDeps) {
  return [
    route({
      method: 'get',
      path: '/v1/deliveries',
      roles: ['tenant'],
      tag: 'Deliveries',
      summary:
        "Find the tenant's deliveries, newest first: by status, webhook, event type, event ID, document ID and creation time, together",
      query: listTenantDeliveriesQuerySchema,
      success: { status: 200, description: 'A page of deliveries', schema: deliveryPageSchema },
      handler: ({ caller, query }) => pageOfDeliveries(deps.store, tenantOf(caller), query),
    }),
    route({
      method: 'get',
      path: '/v1/deliveries/:id',
      roles: ['tenant'],
      tag: 'Deliveries',
      summary: 'Get a delivery with every attempt (request headers redacted)',
      params: idParamsSchema,
      success: {
        status: 200,
        description: 'The delivery',
        schema: deliverySchema
          .extend({
            reason: z.string().nullable().meta({
              description:
                'An open delivery\'s live state as its workflow tells it (the Web UI\'s text), e.g. "paused: webhook inactive since 14:05Z"; null once finished or when no worker answers',
            }),
            attempts: z.array(attemptSchema),
          })
          .meta({ id: 'DeliveryWithAttempts' }),
      },
      errors: [404],
      handler: async ({ caller, params }) => {
        const delivery = await deps.store.deliveries.findForTenant(tenantOf(caller), params.id);
        if (!delivery) throw new HttpError(404, 'not_found', 'delivery not found');
        const attempts = await deps.store.deliveries.listAttempts(delivery._id);
        const open = OPEN_DELIVERY_STATUSES.includes(delivery.status);
        const reason = open ? await deps.engine.currentDetails(delivery.workflowId) : null;
        return { ...deliveryView(delivery), reason, attempts: attempts.map(attemptView) };
      },
    }),
    route({
      method: 'post',
      path: '/v1/deliveries/:id/redeliver',
      roles: ['tenant'],
      tag: 'Deliveries',
      summary:
        'Make one manual attempt now and report it; send an Idempotency-Key header to make a retried request one attempt',
      params: idParamsSchema,
      success: { status: 200, description: "The attempt's outcome", schema: attemptOutcomeSchema },
      errors: [404, 409],
      errorCodes: {
        409: "`conflict`: the webhook is inactive, or was paused before the attempt started (nothing was sent); `payload_erased`: the event's payload was erased",
      },
      handler: async ({ caller, params, headers }) => {
        const key = headers['idempotency-key'];
        if (typeof key === 'string' && (key.length === 0 || key.length > 200)) {
          throw new HttpError(400, 'validation_failed', 'header.idempotency-key: must be 1 to 200 characters', [
            { field: 'header.idempotency-key', message: 'must be 1 to 200 characters' },
          ]);
        }
        const result = await deps.engine.redeliver(
          tenantOf(caller),
          params.id,
          typeof key === 'string' ? key : undefined,
        );
        const attempt = 'attempt' in result ? await deps.store.deliveries.findAttempt(params.id, result.attempt) : null;
        return outcomeView(params.id, result, attempt);
      },
    }),
  ];
}
