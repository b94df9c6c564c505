/** Opaque cursors: base64url JSON of the last item's sort key. A tampered cursor is a 400, not a crash. */
import { z } from 'zod';
import { HttpError } from '../errors';

export function encodeCursor(value: Record<string, string>): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeCursor<T extends z.ZodType>(cursor: string | undefined, schema: T): z.output<T> | undefined {
  if (cursor === undefined) return undefined;
  try {
    return schema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new HttpError(400, 'validation_failed', 'query.cursor: not a cursor this API returned', [
      { field: 'query.cursor', message: 'not a cursor this API returned' },
    ]);
  }
}

export const idCursor = z.object({ id: z.string() });
export const timeCursor = z.object({ at: z.iso.datetime(), id: z.string() });

/** The position a newest-first listing continues after, from the cursor the previous page gave. */
export function newestFirstPosition(cursor: string | undefined): { createdAt: Date; id: string } | undefined {
  const before = decodeCursor(cursor, timeCursor);
  return before ? { createdAt: new Date(before.at), id: before.id } : undefined;
}

/** A page of a newest-first listing read with `limit + 1`: the items shown and the cursor to the next page. */
export function newestFirstPage<T extends { _id: string; createdAt: Date }, V>(
  items: T[],
  limit: number,
  view: (item: T) => V,
): { data: V[]; nextCursor: string | null } {
  const page = items.slice(0, limit);
  const last = page[page.length - 1];
  return {
    data: page.map(view),
    nextCursor: items.length > limit && last ? encodeCursor({ at: last.createdAt.toISOString(), id: last._id }) : null,
  };
}

/** The `since`/`until` query parameters as dates. */
export function timeBounds(query: { since?: string; until?: string }): { since?: Date; until?: Date } {
  return {
    since: query.since ? new Date(query.since) : undefined,
    until: query.until ? new Date(query.until) : undefined,
  };
}
