/**
 * npm run explain-listings: the query plan the store gives each listing filter (GET /v1/deliveries and
 * GET /v1/events), on a FerretDB of its own (--store sqlite|postgresql) or MONGODB_URI, with the engine's
 * indexes created as the worker creates them. docs/operations.md ("Finding") quotes what it printed.
 */
import { parseArgs } from 'node:util';
import { MongoClient, type Document } from 'mongodb';
import { ensureIndexes } from '../src/store/mongo';
import { startScratchFerretDb } from './lib/scratch-store';

const { values: flags } = parseArgs({ options: { store: { type: 'string', default: 'sqlite' } } });

const SINCE = new Date('2026-01-01T00:00:00Z');
const LISTINGS: [collection: 'deliveries' | 'events', filter: string, query: Document][] = [
  ['deliveries', 'none', { tenantId: 't' }],
  ['deliveries', 'status', { tenantId: 't', status: 'failed' }],
  ['deliveries', 'webhookId', { tenantId: 't', webhookId: 'wh' }],
  ['deliveries', 'event', { tenantId: 't', event: 'document.created' }],
  ['deliveries', 'eventId', { tenantId: 't', eventKey: 't:evt' }],
  ['deliveries', 'documentId', { tenantId: 't', documentId: 'doc' }],
  ['deliveries', 'since/until', { tenantId: 't', createdAt: { $gte: SINCE } }],
  ['events', 'none', { tenantId: 't' }],
  ['events', 'event', { tenantId: 't', event: 'document.created' }],
  ['events', 'documentId', { tenantId: 't', documentId: 'doc' }],
];

async function main(): Promise<void> {
  let uri = process.env.MONGODB_URI;
  let stop = (): Promise<void> => Promise.resolve();
  if (!uri) {
    const scratch = await startScratchFerretDb(flags.store, 'docflo-explain-');
    console.log(`FerretDB on ${scratch.backend}`);
    uri = scratch.uri;
    stop = () => scratch.stop();
  }
  const client = await MongoClient.connect(uri);
  try {
    const db = client.db(`explain${Date.now().toString(36)}`);
    await ensureIndexes(db);
    for (const [name, filter, query] of LISTINGS) {
      const plan = await db.collection(name).find(query).sort({ createdAt: -1, _id: -1 }).limit(21).explain();
      console.log(`${name} by ${filter}: ${JSON.stringify(plan.queryPlanner ?? plan)}`);
    }
    await db.dropDatabase();
  } finally {
    await client.close();
    await stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
