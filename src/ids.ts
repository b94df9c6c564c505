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

/** A test event's ID (POST /v1/webhooks/{id}/test): `test_` and a UUID, never a platform event's. */
export function testEventId(): string {
  return `${TEST_EVENT_PREFIX}${crypto.randomUUID()}`;
}

const TEST_EVENT_PREFIX = 'test_';

/** Whether an event ID is a test event's: those go to inactive webhooks too, and the platform may not use it. */
export function isTestEventId(eventId: string): boolean {
  return eventId.startsWith(TEST_EVENT_PREFIX);
}

/** isTestEventId of an event key (`tenant:eventId`). */
export function isTestEventKey(eventKey: string): boolean {
  return isTestEventId(eventKey.slice(eventKey.indexOf(':') + 1));
}
