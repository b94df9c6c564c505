/**
 * A write by `_id` that applies only where `filter` holds, creating the document where there is none. No
 * upsert: a conditional upsert of an existing document is a duplicate key on MongoDB and a no-op on FerretDB,
 * and FerretDB keeps a matched upsert's result set open until its command ends (see DeliveryRepository).
 */
import {
  MongoServerError,
  type Collection,
  type Filter,
  type OptionalUnlessRequiredId,
  type UpdateFilter,
} from 'mongodb';

export const isDuplicateKey = (err: unknown): boolean => err instanceof MongoServerError && err.code === 11000;

/**
 * Applies `update` to `record._id` where `filter` holds, else inserts `record` where there is no such document.
 * Answers the document as written, or null where one is there and the filter does not hold.
 */
export async function updateElseInsert<T extends { _id: string }>(
  collection: Collection<T>,
  record: T,
  filter: Filter<T>,
  update: UpdateFilter<T>,
): Promise<T | null> {
  const where = { ...filter, _id: record._id } as Filter<T>;
  for (let i = 0; i < 3; i++) {
    const after = await collection.findOneAndUpdate(where, update, { returnDocument: 'after' });
    if (after) return after as T;
    try {
      await collection.insertOne(record as OptionalUnlessRequiredId<T>);
      return record;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    // It is there: the filter does not hold, or another writer created it between the two (then look again),
    // or it was deleted since (then start over).
    if (!(await collection.findOne({ _id: record._id } as Filter<T>))) continue;
    return (await collection.findOneAndUpdate(where, update, { returnDocument: 'after' })) as T | null;
  }
  return null;
}
