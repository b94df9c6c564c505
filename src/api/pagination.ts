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
