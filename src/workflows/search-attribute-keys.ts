/** Typed keys of the engine's custom search attributes (registered by src/temporal/search-attributes.ts). */
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

export const TenantIdKey = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
export const WebhookIdKey = defineSearchAttributeKey('WebhookId', SearchAttributeType.KEYWORD);
export const EventTypeKey = defineSearchAttributeKey('EventType', SearchAttributeType.KEYWORD);
export const DeliveryStatusKey = defineSearchAttributeKey('DeliveryStatus', SearchAttributeType.KEYWORD);
export const AttemptCountKey = defineSearchAttributeKey('AttemptCount', SearchAttributeType.INT);
export const NextAttemptAtKey = defineSearchAttributeKey('NextAttemptAt', SearchAttributeType.DATETIME);

/** The search attributes a delivery workflow starts with, wherever it is started from. */
export function deliverySearchAttributes(
  d: { tenantId: string; webhookId: string; event: string },
  status: string,
  attempts: number,
): SearchAttributePair[] {
  return [
    { key: TenantIdKey, value: d.tenantId },
    { key: WebhookIdKey, value: d.webhookId },
    { key: EventTypeKey, value: d.event },
    { key: DeliveryStatusKey, value: status },
    { key: AttemptCountKey, value: attempts },
  ];
}
