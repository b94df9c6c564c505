/** What the admin API is built from. */
import type { EngineClient } from '../client/engine-client';
import type { SecretBox } from '../crypto/secret-box';
import type { Logger } from '../logger';
import type { ApiMetrics } from '../metrics/metrics';
import type { Store } from '../store';
import type { CookiePolicy } from '../portal/session-cookie';
import type { WebhookService } from '../webhooks/webhook-service';

export interface ApiDeps {
  store: Store;
  secrets: SecretBox;
  engine: EngineClient;
  webhooks: WebhookService;
  logger: Logger;
  /** Named dependency checks for /readyz (and reported by /healthz). */
  healthChecks: Record<string, () => Promise<void>>;
  /** How long a check may take before it counts as failed: MONGODB_TIMEOUT_MS; default 3 s. */
  healthTimeoutMs?: number;
  adminApiKey?: string;
  platformApiKey?: string;
  bodyLimitBytes: number;
  /** Requests a minute per API key. */
  rateLimitPerMinute: number;
  /** Failed authentications a minute per client address before every attempt from it is a 429; default 100. */
  authFailuresPerMinute?: number;
  /** Express `trust proxy`: the proxies whose X-Forwarded-For gives the client address; default none. */
  trustProxy?: false | number | string[];
  /** WEBHOOK_DISABLE_AFTER in seconds: when a failing webhook will be disabled, as the API shows it. */
  webhookDisableAfterSeconds?: number;
  /** The API's Prometheus metrics, served at GET /metrics; none: no /metrics route. */
  metrics?: ApiMetrics;
  /** How old a published event's occurredAt may be; default 7 days. */
  occurredAtMaxAgeSeconds?: number;
  /** How far ahead of now a published event's occurredAt may be; default 5 minutes. */
  occurredAtMaxFutureSeconds?: number;
  /** The tenant portal: where its links point, how long they and sessions last, its cookie, who may frame it. */
  portal: PortalSettings;
}

export interface PortalSettings {
  /** The API's origin as browsers reach it (PUBLIC_URL). */
  publicUrl: string;
  linkTtlSeconds: number;
  sessionTtlSeconds: number;
  cookie: CookiePolicy;
  /** Origins allowed to frame the portal (PORTAL_FRAME_ANCESTORS); empty: none. */
  frameAncestors: string[];
}
