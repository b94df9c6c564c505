/**
 * The event catalogue (GET /v1/event-types, the portal's "Event types"): every event a webhook can subscribe
 * to, what it means, the JSON Schema of its body and an example body, built by the same code that builds real
 * deliveries (so the example is what a receiver gets).
 */
import { z } from 'zod';
import { buildPayload } from '../delivery/payload';
import { sampleOperationalBody } from '../operations/operational-events';
import { isOperationalEvent, SUBSCRIBABLE_EVENTS, type PlatformEvent } from '../store/model';
import { sampleDocument } from './sample-document';

const DESCRIPTIONS: Record<PlatformEvent, string> = {
  'document.created': 'A document was uploaded or created.',
  'document.processed': 'Docflo finished extracting the document: its fields are filled in.',
  'document.approved': 'The document was approved.',
  'document.rejected': 'The document was rejected.',
  'document.status_changed': 'The document moved to another status (any change, including the ones above).',
  'webhook.failing':
    "One of the tenant's webhooks has failed every delivery for half (then 90 %) of the auto-disable window.",
  'webhook.disabled': "One of the tenant's webhooks was set inactive after failing for the whole window.",
};

const documentPayloadSchema = z
  .object({
    event: z.string().describe('The event type'),
    tenantId: z.string(),
    timestamp: z.string().describe('When the event occurred (ISO 8601)'),
    doc: z
      .object({
        _id: z.string(),
        tenantId: z.string(),
        type: z.string().describe('invoice, receipt, …'),
        status: z.string(),
        createdAt: z.string(),
        updatedAt: z.string(),
        fields: z.record(z.string(), z.unknown()).describe('What Docflo extracted, by field name'),
      })
      .catchall(z.unknown())
      .describe('The whole document as stored when the delivery was built'),
  })
  .describe('Signed with X-Docflo-Signature: sha256=<hex HMAC-SHA256 of the raw body>');

const operationalPayloadSchema = z.object({
  event: z.string(),
  tenantId: z.string(),
  timestamp: z.string(),
  webhook: z.object({ id: z.string(), url: z.string(), event: z.string() }).describe('The webhook it is about'),
  lastError: z.string(),
  failingSince: z.string(),
  failedDeliveries: z.number().int().describe('Failed deliveries in a row so far'),
  thresholdPercent: z.number().int().optional().describe('webhook.failing: 50, then 90'),
  disableAt: z.string().optional().describe('webhook.failing: when it will be set inactive'),
  disabledAt: z.string().optional(),
  disabledReason: z.string().optional(),
});

export interface EventType {
  type: PlatformEvent;
  description: string;
  schema: Record<string, unknown>;
  example: Record<string, unknown>;
}

export function eventCatalogue(tenantId: string, now: Date): EventType[] {
  const documentSchema = z.toJSONSchema(documentPayloadSchema) as Record<string, unknown>;
  const operationalSchema = z.toJSONSchema(operationalPayloadSchema) as Record<string, unknown>;
  return SUBSCRIBABLE_EVENTS.map((type) => ({
    type,
    description: DESCRIPTIONS[type],
    schema: isOperationalEvent(type) ? operationalSchema : documentSchema,
    example: exampleOf(type, tenantId, now),
  }));
}

function exampleOf(type: PlatformEvent, tenantId: string, now: Date): Record<string, unknown> {
  if (isOperationalEvent(type)) {
    const webhook = { _id: 'wh_example', tenantId, url: 'https://erp.example.com/webhooks/docflo', event: type };
    return { ...sampleOperationalBody(type, webhook, now) };
  }
  return {
    ...buildPayload({
      event: type,
      tenantId,
      occurredAt: now,
      document: sampleDocument('doc_example', tenantId, type, now),
    }),
  };
}
