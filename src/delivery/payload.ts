/**
 * The webhook payload `{event, tenantId, timestamp, doc}` and its one serialization. The body is
 * JSON.stringify of plain JSON values, so a receiver that parses and re-stringifies it (the product page's
 * Node example) gets the very same bytes back, and its HMAC matches.
 */
import { Binary, Decimal128, Long, ObjectId } from 'mongodb';
import type { DocfloDocument, PlatformEvent } from '../store/model';

export interface WebhookPayload {
  event: PlatformEvent;
  tenantId: string;
  timestamp: string;
  doc: Record<string, unknown>;
}

/** Turns BSON values into the JSON the product page shows: `_id` as a string, dates as ISO 8601. */
export function toJsonValue(value: unknown): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof ObjectId) return value.toHexString();
  if (value instanceof Decimal128) return Number(value.toString());
  if (value instanceof Long) return value.toNumber();
  if (value instanceof Binary) return value.toString('base64');
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toJsonValue(v)]));
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}

export function buildPayload(input: {
  event: PlatformEvent;
  tenantId: string;
  occurredAt: Date;
  document: DocfloDocument;
}): WebhookPayload {
  return {
    event: input.event,
    tenantId: input.tenantId,
    timestamp: input.occurredAt.toISOString(),
    doc: toJsonValue(input.document) as Record<string, unknown>,
  };
}

export function serializePayload(payload: WebhookPayload): string {
  return JSON.stringify(payload);
}
