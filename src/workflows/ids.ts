/** Deterministic, readable workflow IDs: a repeated start is idempotent and the Web UI reads like a log. */
export function eventWorkflowId(tenantId: string, eventId: string): string {
  return `event:${tenantId}:${eventId}`;
}

export function deliveryWorkflowId(webhookId: string, eventId: string): string {
  return `delivery:${webhookId}:${eventId}`;
}

/** One gate per webhook with flow settings (src/delivery/gate.ts). */
export function gateWorkflowId(webhookId: string): string {
  return `gate:${webhookId}`;
}
