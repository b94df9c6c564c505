/**
 * Standard Webhooks (standardwebhooks.com) headers, sent beside X-Docflo-Signature so receivers using any
 * Standard Webhooks library get replay protection: webhook-id, webhook-timestamp and webhook-signature, a
 * space-separated list of `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per live secret.
 *
 * The key is what those libraries derive: for a `whsec_<base64>` secret, the decoded bytes; for any other
 * secret, its own bytes (the libraries' "raw" format).
 */
import crypto from 'node:crypto';

const WHSEC = /^whsec_([A-Za-z0-9+/]+={0,2})$/;

export function standardWebhookKey(secret: string): Buffer {
  const match = WHSEC.exec(secret);
  if (match?.[1]) {
    const decoded = Buffer.from(match[1], 'base64');
    if (decoded.length > 0) return decoded;
  }
  return Buffer.from(secret, 'utf8');
}

export function standardSignature(id: string, timestamp: number, body: string | Buffer, secret: string): string {
  const mac = crypto.createHmac('sha256', standardWebhookKey(secret));
  mac.update(`${id}.${timestamp}.`);
  mac.update(body);
  return `v1,${mac.digest('base64')}`;
}

export function standardHeaders(
  id: string,
  timestamp: number,
  body: string,
  secrets: string[],
): Record<string, string> {
  const headers: Record<string, string> = { 'webhook-id': id, 'webhook-timestamp': String(timestamp) };
  if (secrets.length > 0)
    headers['webhook-signature'] = secrets.map((s) => standardSignature(id, timestamp, body, s)).join(' ');
  return headers;
}

/** A secret the engine makes: `whsec_` and 32 random bytes in base64, which every Standard Webhooks library accepts. */
export function generateSigningSecret(): string {
  return `whsec_${crypto.randomBytes(32).toString('base64')}`;
}
