/** What a test can compare before and after hostile requests: every document of every collection of its database. */
import { BSON, type Db } from 'mongodb';

export async function storeSnapshot(db: Db): Promise<Record<string, string[]>> {
  const collections = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
  const snapshot: Record<string, string[]> = {};
  for (const name of collections) {
    const docs = await db.collection(name).find({}).sort({ _id: 1 }).toArray();
    snapshot[name] = docs.map((d) => BSON.EJSON.stringify(d, { relaxed: false }));
  }
  return snapshot;
}
