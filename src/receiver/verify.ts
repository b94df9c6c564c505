/**
 * Verifying a Docflo delivery on the receiving side, for our users' servers. Checks the Standard Webhooks
 * headers (signature over id.timestamp.body, timestamp within a tolerance: replay protection) when present,
 * otherwise X-Docflo-Signature. Accepts several secrets (during a rotation), compares in constant time, and
 * never throws: a missing, malformed or truncated header is a `false` with a reason.
 */
import crypto from 'node:crypto';
import { docfloSignature } from '../delivery/signing';
import { standardSignature } from '../delivery/standard-webhooks';

export type HeaderBag = Record<string, string | string[] | undefined> | Headers;

export interface VerifyOptions {
  /** The webhook's signing secret, or several while a rotation's grace period runs. */
  secrets: string | string[];
  /** How far webhook-timestamp may be from now, in seconds. Default 300. */
  toleranceSeconds?: number;
  /** Accept a delivery that carries only X-Docflo-Signature (no replay protection). Default true. */
  allowLegacySignature?: boolean;
  /** Milliseconds since the epoch; for tests. */
  now?: number;
}

export type VerifyResult =
  { ok: true; scheme: 'standard-webhooks' | 'x-docflo-signature'; deliveryId?: string } | { ok: false; reason: string };

function header(headers: HeaderBag, name: string): string | undefined {
  const value = headers instanceof Headers ? headers.get(name) : (headers[name] ?? headers[name.toLowerCase()]);
  if (Array.isArray(value)) return value[0];
  return value ?? undefined;
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && crypto.timingSafeEqual(left, right);
}

export function verifyWebhook(rawBody: string | Buffer, headers: HeaderBag, options: VerifyOptions): VerifyResult {
  try {
    const secrets = (Array.isArray(options.secrets) ? options.secrets : [options.secrets]).filter((s) => s.length > 0);
    if (secrets.length === 0) return { ok: false, reason: 'no secret to verify with' };
    const id = header(headers, 'webhook-id');
    const timestamp = header(headers, 'webhook-timestamp');
    const signature = header(headers, 'webhook-signature');
    if (id || timestamp || signature) {
      if (!id || !timestamp || !signature) return { ok: false, reason: 'incomplete Standard Webhooks headers' };
      if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'malformed webhook-timestamp' };
      const skew = Math.abs((options.now ?? Date.now()) / 1000 - Number(timestamp));
      if (skew > (options.toleranceSeconds ?? 300))
        return { ok: false, reason: 'webhook-timestamp outside the tolerance' };
      const given = signature.split(' ').filter((s) => s.startsWith('v1,'));
      for (const secret of secrets) {
        const expected = standardSignature(id, Number(timestamp), rawBody, secret);
        if (given.some((g) => safeEqual(g, expected))) return { ok: true, scheme: 'standard-webhooks', deliveryId: id };
      }
      return { ok: false, reason: 'no webhook-signature matches' };
    }
    const legacy = header(headers, 'x-docflo-signature');
    if (!legacy) return { ok: false, reason: 'no signature headers' };
    if (options.allowLegacySignature === false) return { ok: false, reason: 'Standard Webhooks headers required' };
    for (const secret of secrets) {
      if (safeEqual(legacy, docfloSignature(rawBody, secret))) {
        return { ok: true, scheme: 'x-docflo-signature', deliveryId: header(headers, 'x-docflo-delivery') };
      }
    }
    return { ok: false, reason: 'X-Docflo-Signature does not match' };
  } catch {
    return { ok: false, reason: 'unverifiable request' };
  }
}
