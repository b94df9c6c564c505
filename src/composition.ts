/**
 * The composition root: the one place that turns a parsed Config into the API's and the worker's
 * dependencies. Entry points, `npm run dev`, the bench, chaos and the tests all build through these functions,
 * so a setting honoured in one place is honoured everywhere (DELIVERY_ALLOWED_CIDRS once reached the sender
 * but not webhook creation, because the tests wired the API by hand). A caller may replace a dependency only
 * through the `overrides` parameters below.
 */
import type { Client } from '@temporalio/client';
import { createActivities } from './activities';
import type { DeliveryInputDeps } from './activities/delivery-input';
import { BodyCache } from './activities/body-cache';
import type { ApiDeps, PortalSettings } from './api/deps';
import { cookiePolicy } from './portal/session-cookie';
import { createEngineClient, type EngineClient } from './client/engine-client';
import { setWebhookStatus } from './client/webhook-control';
import { retryScheduleOf, type Config } from './config';
import { SecretBox } from './crypto/secret-box';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './delivery/retry-policy';
import { createSender, type Resolver, type Sender, type SenderOptions } from './delivery/sender';
import { parseCidrs } from './delivery/ssrf';
import { trustedCertificates } from './delivery/trust';
import { ConfigError } from './errors';
import type { Logger } from './logger';
import type { Registry } from 'prom-client';
import {
  createApiMetrics,
  createWorkerMetrics,
  registerStoreCommandMetrics,
  type WorkerMetrics,
} from './metrics/metrics';
import { createAutoDisable } from './operations/auto-disable';
import { createDeliveryOutcomes, StreaklessWebhooks } from './operations/delivery-outcomes';
import { createOperationalPublisher } from './operations/operational-events';
import type { Store } from './store';
import { createWebhookService } from './webhooks/webhook-service';

export function composeSecretBox(config: Config): SecretBox {
  if (!config.SECRETS_KEY) {
    throw new ConfigError('SECRETS_KEY is required: base64 of 32 random bytes (openssl rand -base64 32)');
  }
  return new SecretBox(config.SECRETS_KEY.split(',').map((k) => k.trim()));
}

/** Non-public ranges this deployment may deliver to: the same list for webhook creation and for the sender. */
export function allowedCidrsOf(config: Config): ReturnType<typeof parseCidrs> {
  return parseCidrs(config.DELIVERY_ALLOWED_CIDRS);
}

export function composeEngineClient(
  config: Config,
  services: { temporal: Client; store: Store },
  retryPolicy?: Partial<RetryPolicy>,
): EngineClient {
  return createEngineClient({
    temporal: services.temporal,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    store: services.store,
    deliveryDefaults: deliveryDefaultsOf(config, retryPolicy),
    publishTimeoutMs: config.EVENT_PUBLISH_TIMEOUT_MS,
    deliveryTimeoutMs: config.DELIVERY_TIMEOUT_MS,
    erasurePace: { batch: config.PURGE_BATCH, pauseMs: config.PURGE_PAUSE_MS },
  });
}

/** What every delivery workflow's input takes from the configuration, whoever starts it. */
export function deliveryDefaultsOf(config: Config, retryPolicy: Partial<RetryPolicy> = {}): DeliveryInputDeps {
  return {
    defaultRetrySchedule: retryScheduleOf(config),
    retryPolicy: { ...DEFAULT_RETRY_POLICY, ...retryPolicy },
    pauseRecheckSeconds: config.DELIVERY_PAUSE_RECHECK,
    pauseRecheckMaxSeconds: Math.max(config.DELIVERY_PAUSE_RECHECK, config.DELIVERY_PAUSE_RECHECK_MAX),
    historyLimit: config.DELIVERY_HISTORY_LIMIT,
  };
}

export interface ApiServices {
  store: Store;
  temporal: Client;
  logger: Logger;
  /** Named checks for /readyz; the default checks Temporal and the store. */
  healthChecks?: ApiDeps['healthChecks'];
}

export function composeApi(config: Config, services: ApiServices): ApiDeps {
  const secrets = composeSecretBox(config);
  const engine = composeEngineClient(config, services);
  return {
    store: services.store,
    secrets,
    engine,
    webhooks: createWebhookService({
      store: services.store,
      secrets,
      engine,
      maxWebhooksPerTenant: config.WEBHOOKS_PER_TENANT_MAX,
      allowedCidrs: allowedCidrsOf(config),
    }),
    adminApiKey: config.ADMIN_API_KEY,
    platformApiKey: config.PLATFORM_API_KEY,
    bodyLimitBytes: config.API_BODY_LIMIT_BYTES,
    rateLimitPerMinute: config.API_RATE_LIMIT_PER_MINUTE,
    occurredAtMaxAgeSeconds: config.EVENT_OCCURRED_AT_MAX_AGE_SECONDS,
    occurredAtMaxFutureSeconds: config.EVENT_OCCURRED_AT_MAX_FUTURE_SECONDS,
    authFailuresPerMinute: config.API_AUTH_FAILURES_PER_MINUTE,
    trustProxy: config.API_TRUST_PROXY,
    metrics: withStoreMetrics(createApiMetrics(), services.store),
    webhookDisableAfterSeconds: config.WEBHOOK_DISABLE_AFTER,
    portal: portalSettingsOf(config),
    logger: services.logger,
    healthTimeoutMs: config.MONGODB_TIMEOUT_MS,
    healthChecks: services.healthChecks ?? {
      temporal: async () => {
        await services.temporal.workflowService.getSystemInfo({});
      },
      mongodb: () => services.store.probe(config.MONGODB_TIMEOUT_MS),
    },
  };
}

/** Where portal links point, how long they and sessions last, the cookie's policy, who may frame the portal. */
export function portalSettingsOf(config: Config): PortalSettings {
  const publicUrl =
    config.PUBLIC_URL ??
    `http://${config.API_HOST.includes(':') ? `[${config.API_HOST}]` : config.API_HOST}:${config.API_PORT}`;
  return {
    publicUrl,
    linkTtlSeconds: config.PORTAL_LINK_TTL,
    sessionTtlSeconds: config.PORTAL_SESSION_TTL,
    cookie: cookiePolicy(publicUrl, config.PORTAL_COOKIE_SAMESITE),
    frameAncestors: config.PORTAL_FRAME_ANCESTORS?.split(/[\s,]+/).filter(Boolean) ?? [],
  };
}

function withStoreMetrics<M extends { registry: Registry }>(metrics: M, store: Store): M {
  if (store.commandWatch) registerStoreCommandMetrics(metrics.registry, store.commandWatch);
  return metrics;
}

/** What a test (or a private deployment's own tooling) may swap in the worker; everything else comes from Config. */
export interface WorkerOverrides {
  /** CA files trusted besides the defaults and NODE_EXTRA_CA_CERTS (dev's own receiver CA). */
  extraCaFiles?: string[];
  resolve?: Resolver;
  dial?: SenderOptions['dial'];
  retryPolicy?: Partial<RetryPolicy>;
}

export function composeSender(config: Config, overrides: WorkerOverrides = {}): Sender {
  return createSender({
    timeoutMs: config.DELIVERY_TIMEOUT_MS,
    maxResponseBytes: config.DELIVERY_MAX_RESPONSE_BYTES,
    ca: trustedCertificates({ extraCaFiles: [config.NODE_EXTRA_CA_CERTS, ...(overrides.extraCaFiles ?? [])] }),
    allowedCidrs: allowedCidrsOf(config),
    resolve: overrides.resolve,
    dial: overrides.dial,
  });
}

export function composeWorkerActivities(
  config: Config,
  services: { store: Store; logger: Logger; temporal: Client },
  overrides: WorkerOverrides = {},
): { sender: Sender; activities: ReturnType<typeof createActivities>; metrics: WorkerMetrics } {
  const sender = composeSender(config, overrides);
  const metrics = withStoreMetrics(createWorkerMetrics(), services.store);
  // Auto-disable sets a webhook inactive through the same durable path as an operator's PATCH.
  const statusPath = { store: services.store, temporal: services.temporal, taskQueue: config.TEMPORAL_TASK_QUEUE };
  const streaklessWebhooks = new StreaklessWebhooks();
  const autoDisable = createAutoDisable({
    store: services.store,
    setWebhookStatus: (tenantId, webhookId, status, engine) =>
      setWebhookStatus(statusPath, tenantId, webhookId, status, engine),
    publisher: createOperationalPublisher({
      store: services.store,
      temporal: services.temporal,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      startTimeoutMs: config.EVENT_PUBLISH_TIMEOUT_MS,
    }),
    windowSeconds: config.WEBHOOK_DISABLE_AFTER,
    minFailures: config.WEBHOOK_DISABLE_MIN_FAILURES,
    logger: services.logger,
    metrics,
  });
  const activities = createActivities({
    store: services.store,
    sender,
    sendTimeoutMs: config.DELIVERY_TIMEOUT_MS,
    secrets: composeSecretBox(config),
    logger: services.logger,
    ...deliveryDefaultsOf(config, overrides.retryPolicy),
    temporal: services.temporal,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    bodies: new BodyCache(),
    streaklessWebhooks,
    retention: { retentionDays: config.RETENTION_DAYS, dayMs: config.RETENTION_DAY * 1000 },
    purged: (collection, count) => metrics.purgedRecords.inc({ collection }, count),
    retentionReported: (report) => {
      for (const [collection, seconds] of Object.entries(report.oldestSeconds)) {
        metrics.oldestRecordAge.set({ collection }, seconds);
      }
      metrics.purgeLag.set(report.lagSeconds);
      metrics.retention.set(report.retentionSeconds);
    },
    outcomes: createDeliveryOutcomes({
      store: services.store,
      logger: services.logger,
      metrics,
      autoDisable,
      streaklessWebhooks,
    }),
  });
  return { sender, activities, metrics };
}
