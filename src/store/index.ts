/** Builds the repositories over one database: the store that activities and the API are given. */
import type { Db } from 'mongodb';
import type { StoreCommandWatch } from './command-watch';
import { GuardedWrites, guardModeOf, type GuardMode } from './guarded-writes';
import { DeliveryRepository } from './delivery-repository';
import { DocumentRepository } from './document-repository';
import { EventRepository } from './event-repository';
import { RetentionRepository } from './retention-repository';
import { ErasureRepository } from './erasure-repository';
import { collections } from './mongo';
import { PortalSessionRepository } from './portal-session-repository';
import { TenantRepository } from './tenant-repository';
import { WebhookRepository } from './webhook-repository';
import { EndpointStateRepository } from './endpoint-state-repository';

export interface Store {
  webhooks: WebhookRepository;
  /** What the engine writes about an endpoint as it sends (holds, failure streaks): never the webhook's record. */
  endpointStates: EndpointStateRepository;
  events: EventRepository;
  deliveries: DeliveryRepository;
  documents: DocumentRepository;
  tenants: TenantRepository;
  /** What the purge reads and deletes. */
  retention: RetentionRepository;
  /** Tenants' erasures, and what they delete. */
  erasures: ErasureRepository;
  /** Tenant portal sessions (links, cookies, capabilities). */
  portalSessions: PortalSessionRepository;
  /**
   * A real read (one webhook's ID), failed after `timeoutMs`: a wedged FerretDB still answers `ping`, so
   * readiness must touch a collection.
   */
  probe(timeoutMs: number): Promise<void>;
  /** The store server's clock now (its `hello` reply): what claim leases are measured in (StoreClock). */
  serverTime(): Promise<{ serverTime: Date }>;
  /** Whether the store's commands answer in time (processes started by bootstrap's openStore). */
  commandWatch?: StoreCommandWatch;
}

/** The store over `db`, its guarded writes fitted to the server (guardModeOf): what every process runs. */
export async function storeFor(db: Db, commandWatch?: StoreCommandWatch): Promise<Store> {
  return createStore(db, { commandWatch, guardMode: await guardModeOf(db) });
}

export function createStore(db: Db, options: { commandWatch?: StoreCommandWatch; guardMode?: GuardMode } = {}): Store {
  const c = collections(db);
  const { commandWatch } = options;
  return {
    webhooks: new WebhookRepository(c.webhooks, c.statusHandOffs),
    endpointStates: new EndpointStateRepository(c.endpointStates, c.endpointHolds),
    events: new EventRepository(c.events),
    deliveries: new DeliveryRepository(c.deliveries, c.attempts, new GuardedWrites(options.guardMode ?? 'atomic')),
    documents: new DocumentRepository(c.documents),
    tenants: new TenantRepository(c.tenants, c.apiKeys),
    retention: new RetentionRepository(c.deliveries, c.attempts, c.events, c.tenants),
    erasures: new ErasureRepository(c),
    portalSessions: new PortalSessionRepository(c.portalSessions),
    commandWatch,
    async serverTime() {
      const hello = await db.admin().command({ hello: 1 });
      const at = hello.localTime as unknown;
      if (!(at instanceof Date)) throw new Error('the store did not say its time (hello.localTime)');
      return { serverTime: at };
    },
    async probe(timeoutMs) {
      await c.webhooks.findOne({}, { projection: { _id: 1 }, timeoutMS: timeoutMs });
    },
  };
}
