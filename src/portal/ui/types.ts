/** What the portal reads from the admin API (the OpenAPI document at /openapi.json is the full contract). */
import { DELIVERY_STATUSES, OPEN_DELIVERY_STATUSES, SUBSCRIBABLE_EVENTS } from '../../store/vocabulary';
export type Capability = 'manage_endpoints' | 'view_secrets';

export interface Me {
  tenantId: string;
  tenantName: string;
  capabilities: Capability[];
  theme: { accentColor?: string; logoUrl?: string; mode?: 'light' | 'dark' };
  expiresAt: string;
  csrfToken: string;
}

export type AuthView =
  | { type: 'none' }
  | { type: 'basic'; username: string; password: string }
  | { type: 'bearer'; token: string }
  | { type: 'apiKey'; headerName: string; key: string };

export interface Webhook {
  id: string;
  url: string;
  event: string;
  auth: AuthView;
  signingSecret: string | null;
  previousSecretsExpireAt: string[];
  status: 'active' | 'inactive';
  retrySchedule: number[] | null;
  rateLimit: { perSecond: number; burst: number } | null;
  maxInFlight: number | null;
  ordering: 'none' | 'document' | 'webhook';
  disabledReason: { reason: string; at: string } | null;
  failing: { since: string; failedDeliveries: number; lastError: string; disableAt: string } | null;
  hold: { until: string; reason: string; askedSeconds: number } | null;
  createdAt: string;
  updatedAt: string;
}

export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface Delivery {
  id: string;
  webhookId: string;
  eventId: string;
  event: string;
  documentId: string | null;
  status: DeliveryStatus;
  attemptCount: number;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
}

export interface Attempt {
  attempt: number;
  trigger: string;
  url: string;
  requestHeaders: Record<string, string>;
  delivered: boolean;
  statusCode: number | null;
  responseBody: string | null;
  responseBodyTruncated: boolean;
  responseBodyErased: boolean;
  durationMs: number;
  errorClass: string | null;
  error: string | null;
  startedAt: string;
}

export interface DeliveryDetail extends Delivery {
  reason: string | null;
  attempts: Attempt[];
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface Outcome {
  deliveryId: string;
  status: 'delivered' | 'failed' | 'in_progress';
  delivered: boolean;
  attempt: number | null;
  statusCode: number | null;
  durationMs: number | null;
  responseBody: string | null;
  error: string | null;
}

export interface EventType {
  type: string;
  description: string;
  schema: Record<string, unknown>;
  example: Record<string, unknown>;
}

/** The engine's own lists (src/store/vocabulary.ts), the ones the API validates against. */
export const EVENT_TYPES = SUBSCRIBABLE_EVENTS;
export { DELIVERY_STATUSES };

export const OPEN_STATUSES: readonly DeliveryStatus[] = OPEN_DELIVERY_STATUSES;
