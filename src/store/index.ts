/** Builds the repositories over one database: the store that activities and the API are given. */
import type { Db } from 'mongodb';
import { DeliveryRepository } from './delivery-repository';
import { DocumentRepository } from './document-repository';
import { EventRepository } from './event-repository';
import { collections } from './mongo';
import { TenantRepository } from './tenant-repository';
import { WebhookRepository } from './webhook-repository';

export interface Store {
  webhooks: WebhookRepository;
  events: EventRepository;
  deliveries: DeliveryRepository;
  documents: DocumentRepository;
  tenants: TenantRepository;
  ping(): Promise<void>;
}

export function createStore(db: Db): Store {
  const c = collections(db);
  return {
    webhooks: new WebhookRepository(c.webhooks),
    events: new EventRepository(c.events),
    deliveries: new DeliveryRepository(c.deliveries, c.attempts),
    documents: new DocumentRepository(c.documents),
    tenants: new TenantRepository(c.tenants, c.apiKeys),
    async ping() {
      await db.command({ ping: 1 });
    },
  };
}
