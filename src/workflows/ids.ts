/** Deterministic, readable workflow IDs: a repeated start is idempotent and the Web UI reads like a log. */
export function eventWorkflowId(tenantId: string, eventId: string): string {
  return `event:${tenantId}:${eventId}`;
}

export function deliveryWorkflowId(webhookId: string, eventId: string): string {
  return `delivery:${webhookId}:${eventId}`;
}

/**
 * The task queue of attempts that go under a gate's permit, beside the engine's own: each worker polls both.
 * A permit's attempt waits there for its instant without holding a slot, or waiting behind a backlog, of the
 * deliveries that have no limits (README: "Limits and order per endpoint").
 */
export function pacedTaskQueue(taskQueue: string): string {
  return `${taskQueue}-paced`;
}

/** One gate per webhook with flow settings (src/delivery/gate.ts). */
export function gateWorkflowId(webhookId: string): string {
  return `gate:${webhookId}`;
}
