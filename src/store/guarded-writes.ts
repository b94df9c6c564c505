/**
 * Writes by `_id` that apply only while a condition holds on the stored document (a claim still ours, no later
 * attempt recorded). On MongoDB the condition is part of the filter: one atomic command. FerretDB 1.24 gives a
 * filter no such atomicity anyway (its update reads on one backend connection and writes on another), and on
 * SQLite any filter but a lone `_id` makes it parse every document of the collection in Go, so a hot-path
 * update costs time in proportion to the collection (measured in docs/performance.md). There the condition
 * is checked on the document read by `_id` and the write is by `_id` alone: the same guarantee FerretDB gave,
 * at the cost of one read instead of a scan.
 */
import type { Collection, Db, Filter, UpdateFilter } from 'mongodb';

/** `atomic`: the condition in the filter (MongoDB). `read-then-write`: read by `_id`, check, write by `_id`. */
export type GuardMode = 'atomic' | 'read-then-write';

/** A condition on a document: fields equal to a value, or `$lte`, `$ne`, `$exists` of one. */
export type Guard = Record<string, unknown>;

interface WithId {
  _id: string;
}

/** FerretDB says who it is in buildInfo; every other server gets the atomic filter. */
export async function guardModeOf(db: Db): Promise<GuardMode> {
  const info = await db.admin().command({ buildInfo: 1 });
  return typeof info.ferretdbVersion === 'string' ? 'read-then-write' : 'atomic';
}

export class GuardedWrites {
  constructor(readonly mode: GuardMode) {}

  /** Updates the document if it exists and `guard` holds; `before` is the document read (read-then-write only). */
  async update<T extends WithId>(
    collection: Collection<T>,
    id: string,
    guard: Guard,
    update: UpdateFilter<T>,
  ): Promise<{ matched: boolean; before?: T }> {
    if (this.mode === 'atomic') {
      const result = await collection.updateOne({ _id: id, ...guard } as Filter<T>, update);
      return { matched: result.matchedCount === 1 };
    }
    const before = (await collection.findOne({ _id: id } as Filter<T>)) as T | null;
    if (!before || !guardHolds(before, guard)) return { matched: false };
    const result = await collection.updateOne({ _id: id } as Filter<T>, update);
    return { matched: result.matchedCount === 1, before };
  }

  async delete<T extends WithId>(collection: Collection<T>, id: string, guard: Guard): Promise<boolean> {
    if (this.mode === 'atomic') {
      return (await collection.deleteOne({ _id: id, ...guard } as Filter<T>)).deletedCount === 1;
    }
    const before = (await collection.findOne({ _id: id } as Filter<T>)) as T | null;
    if (!before || !guardHolds(before, guard)) return false;
    return (await collection.deleteOne({ _id: id } as Filter<T>)).deletedCount === 1;
  }
}

/** Whether `doc` satisfies `guard`, as a MongoDB filter of the same shape would decide. */
export function guardHolds(doc: object, guard: Guard): boolean {
  const fields = doc as Record<string, unknown>;
  return Object.entries(guard).every(([field, condition]) => {
    const value = fields[field];
    if (!isOperator(condition)) return sameValue(value, condition);
    return Object.entries(condition).every(([operator, operand]) => {
      switch (operator) {
        case '$ne':
          return !sameValue(value, operand);
        case '$lte':
          return value !== undefined && value !== null && comparable(value) <= comparable(operand);
        case '$exists':
          return (value !== undefined) === operand;
        default:
          throw new Error(`guard operator ${operator} is not supported`);
      }
    });
  });
}

function isOperator(condition: unknown): condition is Record<string, unknown> {
  return (
    typeof condition === 'object' &&
    condition !== null &&
    !(condition instanceof Date) &&
    Object.keys(condition).every((k) => k.startsWith('$'))
  );
}

function comparable(value: unknown): number | string {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number' || typeof value === 'string') return value;
  throw new Error(`a guard compares numbers, strings and dates, not ${typeof value}`);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  // A missing field equals null in a MongoDB filter.
  if ((a === undefined || a === null) && b === null) return true;
  return a === b;
}
