/** Compares two secrets (or their hashes) in time that does not depend on where they differ. */
import crypto from 'node:crypto';

export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && x.length > 0 && crypto.timingSafeEqual(x, y);
}
