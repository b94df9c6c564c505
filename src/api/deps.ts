/** What the admin API is built from. */
import type { EngineClient } from '../client/engine-client';
import type { SecretBox } from '../crypto/secret-box';
import type { Logger } from '../logger';
import type { Store } from '../store';
import type { WebhookService } from '../webhooks/webhook-service';

export interface ApiDeps {
  store: Store;
  secrets: SecretBox;
  engine: EngineClient;
  webhooks: WebhookService;
  logger: Logger;
  /** Named dependency checks for /readyz (and reported by /healthz). */
  healthChecks: Record<string, () => Promise<void>>;
  adminApiKey?: string;
  platformApiKey?: string;
  bodyLimitBytes: number;
  /** Requests a minute per API key. */
  rateLimitPerMinute: number;
  /** How old a published event's occurredAt may be; default 7 days. */
  occurredAtMaxAgeSeconds?: number;
  /** How far ahead of now a published event's occurredAt may be; default 5 minutes. */
  occurredAtMaxFutureSeconds?: number;
}
