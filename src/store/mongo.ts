/** MongoDB connection and the engine's indexes. Works on MongoDB and FerretDB (no transactions, no $lookup). */
import { MongoClient, type Db, type IndexDescription } from 'mongodb';
import type {
  AttemptRecord,
  DeliveryRecord,
  DocfloDocument,
  EndpointHoldRecord,
  EndpointStateRecord,
  EventRecord,
  StatusHandOffRecord,
  WebhookRecord,
} from './model';
import type { ApiKeyRecord, TenantRecord } from './tenant-repository';
import type { ErasureRecord } from './erasure-repository';
import type { PortalSessionRecord } from './portal-session-repository';

export async function connectMongo(
  uri: string,
  options: {
    maxPoolSize?: number;
    serverSelectionTimeoutMs?: number;
    /** Called with each command's name (the driver's command monitoring): the bench counts store operations. */
    onCommand?: (name: string) => void;
    /** Emit the driver's command events (StoreCommandWatch listens to them); on whenever onCommand is given. */
    monitorCommands?: boolean;
  } = {},
): Promise<MongoClient> {
  const client = new MongoClient(uri, {
    monitorCommands: options.monitorCommands === true || options.onCommand !== undefined,
    maxPoolSize: options.maxPoolSize ?? 20,
    // How long an operation waits for a reachable store before failing (the API then answers 503).
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 5_000,
    appName: 'docflo-webhooks',
  });
  const onCommand = options.onCommand;
  if (onCommand) client.on('commandStarted', (event) => onCommand(event.commandName));
  await client.connect();
  return client;
}

export function collections(db: Db) {
  return {
    webhooks: db.collection<WebhookRecord>('webhooks'),
    events: db.collection<EventRecord>('events'),
    deliveries: db.collection<DeliveryRecord>('deliveries'),
    attempts: db.collection<AttemptRecord>('delivery_attempts'),
    documents: db.collection<DocfloDocument>('documents'),
    tenants: db.collection<TenantRecord>('tenants'),
    apiKeys: db.collection<ApiKeyRecord>('api_keys'),
    erasures: db.collection<ErasureRecord>('tenant_erasures'),
    portalSessions: db.collection<PortalSessionRecord>('portal_sessions'),
    endpointStates: db.collection<EndpointStateRecord>('endpoint_states'),
    endpointHolds: db.collection<EndpointHoldRecord>('endpoint_holds'),
    statusHandOffs: db.collection<StatusHandOffRecord>('status_handoffs'),
  };
}

export type EngineCollections = ReturnType<typeof collections>;

const INDEXES: Record<keyof Omit<EngineCollections, 'documents'>, IndexDescription[]> = {
  webhooks: [
    { key: { tenantId: 1, event: 1, status: 1, _id: 1 }, name: 'tenant_event_status' },
    { key: { tenantId: 1, _id: 1 }, name: 'tenant_id' },
  ],
  // The listings (GET /v1/events, /v1/deliveries, /v1/webhooks/{id}/deliveries) sort newest first within a
  // tenant: each filter has an index that starts with it and ends in that order (docs/operations.md, "Finding").
  events: [
    { key: { tenantId: 1, eventId: 1 }, name: 'tenant_event_id', unique: true },
    { key: { tenantId: 1, createdAt: -1, _id: -1 }, name: 'tenant_created' },
    { key: { tenantId: 1, event: 1, createdAt: -1, _id: -1 }, name: 'tenant_type_created' },
    { key: { tenantId: 1, documentId: 1, createdAt: -1, _id: -1 }, name: 'tenant_document_created' },
  ],
  deliveries: [
    { key: { webhookId: 1, status: 1 }, name: 'webhook_status' },
    { key: { tenantId: 1, webhookId: 1, createdAt: -1 }, name: 'tenant_webhook_created' },
    { key: { eventKey: 1 }, name: 'event_key' },
    { key: { tenantId: 1, createdAt: -1, _id: -1 }, name: 'tenant_created' },
    { key: { tenantId: 1, status: 1, createdAt: -1, _id: -1 }, name: 'tenant_status_created' },
    { key: { tenantId: 1, event: 1, createdAt: -1, _id: -1 }, name: 'tenant_type_created' },
    { key: { tenantId: 1, documentId: 1, createdAt: -1, _id: -1 }, name: 'tenant_document_created' },
  ],
  attempts: [{ key: { deliveryId: 1, attempt: 1 }, name: 'delivery_attempt', unique: true }],
  tenants: [],
  apiKeys: [
    { key: { hash: 1 }, name: 'hash', unique: true },
    { key: { tenantId: 1 }, name: 'tenant' },
  ],
  erasures: [{ key: { tenantId: 1, requestedAt: -1 }, name: 'tenant_requested' }],
  portalSessions: [{ key: { tenantId: 1, createdAt: -1 }, name: 'tenant_created' }],
  endpointStates: [{ key: { tenantId: 1 }, name: 'tenant' }],
  endpointHolds: [{ key: { tenantId: 1 }, name: 'tenant' }],
  statusHandOffs: [
    { key: { tenantId: 1 }, name: 'tenant' },
    { key: { at: 1 }, name: 'at' },
  ],
};

/**
 * Creates the indexes that are missing, by name. (FerretDB 1.24 drops the connection when createIndexes is
 * repeated for an existing compound index, so we never ask it to.)
 */
export async function ensureIndexes(db: Db): Promise<void> {
  const c = collections(db);
  for (const [name, wanted] of Object.entries(INDEXES) as [keyof typeof INDEXES, IndexDescription[]][]) {
    const collection = c[name];
    // listIndexes fails on a collection that does not exist yet: then nothing exists.
    const indexes: { name?: string }[] = await collection
      .listIndexes()
      .toArray()
      .catch(() => []);
    const existing = new Set(indexes.map((i) => i.name));
    const missing = wanted.filter((index) => !existing.has(index.name));
    if (wanted.length === 0) continue;
    if (missing.length > 0) await collection.createIndexes(missing);
  }
}
