/** One page of a tenant's deliveries by the listing query (GET /v1/deliveries, GET /v1/webhooks/{id}/deliveries). */
import type { DeliveryListFilter } from '../store/delivery-repository';
import type { Store } from '../store';
import { newestFirstPage, newestFirstPosition, timeBounds } from './pagination';
import { deliveryView } from './presenters';

export type DeliveryListingQuery = Omit<DeliveryListFilter, 'since' | 'until' | 'before'> & {
  limit: number;
  cursor?: string;
  since?: string;
  until?: string;
};

export async function pageOfDeliveries(store: Store, tenantId: string, query: DeliveryListingQuery) {
  const { limit, cursor, since, until, ...filters } = query;
  const items = await store.deliveries.listForTenant(
    tenantId,
    { ...filters, ...timeBounds({ since, until }), before: newestFirstPosition(cursor) },
    limit + 1,
  );
  return newestFirstPage(items, limit, deliveryView);
}
