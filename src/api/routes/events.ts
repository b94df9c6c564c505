/** Platform events: the platform publishes, tenants find theirs and read what happened to each. */
import { z } from 'zod';
import { tenantOf } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpError } from '../../errors';
import { newestFirstPage, newestFirstPosition, timeBounds } from '../pagination';
import { eventSummaryView, eventView } from '../presenters';
import { route } from '../route';
import { eventSchema, eventSummarySchema, listEventsQuerySchema, pageOf, publishEventBodySchema } from '../schemas';
import { eventKey } from '../../store/event-repository';
import { idSchema, subscribableEventSchema } from '../../client/schemas';
import { eventCatalogue } from '../../events/event-catalogue';

const payloadErasureSchema = z
  .object({
    eventId: z.string(),
    payloadErasedAt: z.string(),
    deliveriesEnded: z.number().meta({ description: 'Open deliveries that were told to end (failed, erased)' }),
    responseBodiesErased: z.number().meta({ description: 'Attempts whose stored response body was removed' }),
    complete: z.boolean(),
  })
  .meta({ id: 'PayloadErasure' });

const eventTypeSchema = z
  .object({
    type: subscribableEventSchema,
    description: z.string(),
    schema: z.record(z.string(), z.unknown()).meta({ description: "JSON Schema of the delivery's body" }),
    example: z.record(z.string(), z.unknown()).meta({ description: 'A body as a receiver gets it (a sample invoice)' }),
  })
  .meta({ id: 'EventType' });

export function eventRoutes(deps: ApiDeps) {
  return [
    route({
      method: 'get',
      path: '/v1/event-types',
      roles: ['tenant'],
      tag: 'Events',
      summary: 'The event catalogue: every event a webhook can subscribe to, its body schema and an example',
      success: { status: 200, description: 'Event types', schema: z.object({ data: z.array(eventTypeSchema) }) },
      handler: ({ caller }) => Promise.resolve({ data: eventCatalogue(tenantOf(caller), new Date()) }),
    }),
    route({
      method: 'post',
      path: '/v1/events',
      roles: ['platform'],
      tag: 'Events',
      summary: 'Publish a platform event (idempotent on eventId)',
      body: publishEventBodySchema,
      success: {
        status: 202,
        description: 'Accepted: every matching active webhook will receive it',
        schema: z.object({ eventId: z.string(), workflowId: z.string() }).meta({ id: 'AcceptedEvent' }),
      },
      errors: [404, 409, 503],
      errorCodes: {
        404: '`tenant_not_found` or `document_not_found`',
        409: '`event_conflict`: the eventId was published with other content (`details` names which); `tenant_erasing`: the tenant is being erased',
      },
      handler: async ({ body }) => {
        const { eventId, workflowId } = await deps.engine.publishEvent(body);
        return { eventId, workflowId };
      },
    }),
    route({
      method: 'get',
      path: '/v1/events',
      roles: ['tenant'],
      tag: 'Events',
      summary: "Find the tenant's events, newest accepted first, with how many deliveries of each are in each status",
      query: listEventsQuerySchema,
      success: { status: 200, description: 'A page of events', schema: pageOf(eventSummarySchema, 'EventPage') },
      handler: async ({ caller, query }) => {
        const items = await deps.store.events.listForTenant(
          tenantOf(caller),
          {
            event: query.event,
            documentId: query.documentId,
            ...timeBounds(query),
            before: newestFirstPosition(query.cursor),
          },
          query.limit + 1,
        );
        const counts = await deps.store.deliveries.countByStatusForEvents(
          items.slice(0, query.limit).map((e) => e._id),
        );
        return newestFirstPage(items, query.limit, (e) => eventSummaryView(e, counts.get(e._id) ?? {}));
      },
    }),
    route({
      method: 'delete',
      path: '/v1/events/:id/payload',
      roles: ['platform'],
      tag: 'Events',
      summary:
        "Erase an event's payload (the document snapshot): its open deliveries end failed (reason erased), nothing more is sent, the metadata stays",
      params: z.object({ id: idSchema }),
      query: z.object({ tenantId: idSchema.meta({ description: 'The tenant the event was published for' }) }).strict(),
      success: {
        status: 200,
        description: 'Erased, and no delivery of it is open: nothing more is sent',
        accepted:
          'Erased, but a delivery was still ending when the wait ran out (complete: false): call again to finish',
        schema: payloadErasureSchema,
      },
      errors: [404],
      handler: async ({ params, query, res }) => {
        const erased = await deps.engine.erasePayload(query.tenantId, params.id);
        if (!erased.complete) res.locals.status = 202;
        return { ...erased, payloadErasedAt: erased.payloadErasedAt.toISOString() };
      },
    }),
    route({
      method: 'get',
      path: '/v1/events/:id',
      roles: ['tenant'],
      tag: 'Events',
      summary: 'Get an event and its deliveries',
      params: z.object({ id: z.string().min(1).max(200) }),
      success: { status: 200, description: 'The event', schema: eventSchema },
      errors: [404],
      handler: async ({ caller, params }) => {
        const tenantId = tenantOf(caller);
        const event = await deps.store.events.findForTenant(tenantId, params.id);
        if (!event) throw new HttpError(404, 'not_found', 'event not found');
        return eventView(event, await deps.store.deliveries.listForEvent(eventKey(tenantId, params.id)));
      },
    }),
  ];
}
