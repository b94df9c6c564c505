/**
 * Newest-first listing with a cursor: the last item's (createdAt, _id) position, so a deep page costs what the
 * first does (no skip) and items that arrive while a client pages never shift the pages it has not read yet.
 */
export interface NewestFirstFilter {
  /** createdAt at or after this. */
  since?: Date;
  /** createdAt before this. */
  until?: Date;
  /** Continue after this (createdAt, _id) position. */
  before?: { createdAt: Date; id: string };
}

/** The `createdAt` bounds of a filter, as a query part. */
export function timeRange(filter: NewestFirstFilter): { createdAt?: { $gte?: Date; $lt?: Date } } {
  if (!filter.since && !filter.until) return {};
  const createdAt: { $gte?: Date; $lt?: Date } = {};
  if (filter.since) createdAt.$gte = filter.since;
  if (filter.until) createdAt.$lt = filter.until;
  return { createdAt };
}

/** The items after the cursor's position in (createdAt desc, _id desc) order, as a query part. */
export function newestFirstAfter(filter: NewestFirstFilter): { $or?: object[] } {
  if (!filter.before) return {};
  const { createdAt, id } = filter.before;
  return { $or: [{ createdAt: { $lt: createdAt } }, { createdAt, _id: { $lt: id } }] };
}

/** Publish order: accept time, then event ID. */
export function publishedBefore(at: Date, eventId: string, before: [Date, string]): boolean {
  return at.getTime() < before[0].getTime() || (at.getTime() === before[0].getTime() && eventId < before[1]);
}
