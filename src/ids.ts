/** ID generation. Node-only (crypto): workflows receive IDs, they never make them. */
import crypto from 'node:crypto';

/** Time-ordered so that listing by ID lists by creation: 9 base-36 digits of milliseconds, then randomness. */
export function newId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36).padStart(9, '0')}${crypto.randomBytes(8).toString('hex')}`;
}

/** Stable per (webhook, event): every attempt, retry and replay of this delivery carries the same ID. */
export function deliveryIdFor(webhookId: string, eventKey: string): string {
  const digest = crypto.createHash('sha256').update(`${webhookId}\n${eventKey}`).digest('base64url');
  return `dlv_${digest.slice(0, 24)}`;
}
