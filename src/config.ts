/**
 * The engine's configuration: one zod schema over environment variables, parsed once by the entry points.
 * Nothing else reads process.env.
 */
import { z } from 'zod';
import { ConfigError } from './errors';
import { parseCidrs } from './delivery/ssrf';

const port = z.coerce.number().int().min(0).max(65535);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** Seconds, as a number or with a unit: "300", "30s", "5m", "1h", "5d". */
const duration = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const match = /^\s*(\d+)\s*(s|m|h|d)?\s*$/.exec(String(value));
  if (!match) {
    ctx.addIssue({ code: 'custom', message: 'must be whole seconds or a number with s, m, h or d, e.g. "5m"' });
    return z.NEVER;
  }
  return Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
});

/** Comma-separated seconds, e.g. "5,300,1800". */
const retrySchedule = z.string().transform((s, ctx) => {
  const parts = s.split(',').map((p) => p.trim());
  const values = parts.map(Number);
  if (parts.length === 0 || values.some((v, i) => parts[i] === '' || !Number.isInteger(v) || v < 0)) {
    ctx.addIssue({ code: 'custom', message: 'must be comma-separated whole seconds, e.g. "5,300,1800"' });
    return z.NEVER;
  }
  if (values.length > 50) {
    ctx.addIssue({ code: 'custom', message: 'at most 50 retries' });
    return z.NEVER;
  }
  return values;
});

/** The production entry points that need a variable set: `npm run dev` fills these in itself. */
export type EntryPoint = 'api' | 'worker';

/**
 * Marks a variable as required by production entry points. The schema is the one source: the entry points
 * check it at start, and a test checks that docker-compose.yml provides it to the services that run them.
 */
function requiredFor<T extends z.ZodType>(schema: T, entryPoints: EntryPoint[]): T {
  return schema.meta({ requiredFor: entryPoints });
}

const TRUST_PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * "false" or unset: trust no proxy. A whole number: trust that many hops in front of the API. Otherwise
 * comma-separated proxy addresses, CIDR ranges or loopback, linklocal, uniquelocal. "true" (trust anyone) is
 * refused: any client could then choose its own address and sidestep the per-address limit.
 */
const trustProxy = optionalString.transform((value, ctx): false | number | string[] => {
  if (value === undefined || value.toLowerCase() === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value) === 0 ? false : Number(value);
  if (value.toLowerCase() === 'true') {
    ctx.addIssue({
      code: 'custom',
      message: "true would trust any X-Forwarded-For a client sends; give a hop count or the proxies' addresses",
    });
    return z.NEVER;
  }
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const valid = (entry: string): boolean => {
    if (TRUST_PROXY_NAMES.has(entry)) return true;
    try {
      parseCidrs(entry);
      return true;
    } catch {
      return false;
    }
  };
  if (entries.length === 0 || !entries.every(valid)) {
    ctx.addIssue({
      code: 'custom',
      message:
        'must be false, a hop count, or comma-separated addresses, CIDR ranges, loopback, linklocal, uniquelocal',
    });
    return z.NEVER;
  }
  return entries;
});

export const DEFAULT_RETRY_SCHEDULE_SECONDS = [5, 300, 1800, 7200, 18000, 36000, 36000];

export const configSchema = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TEMPORAL_ADDRESS: requiredFor(optionalString, ['api', 'worker']),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('docflo-webhooks'),
  TEMPORAL_CLI_PATH: optionalString,
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  MONGODB_URI: requiredFor(optionalString, ['api', 'worker']),
  MONGODB_DB: z.string().min(1).default('docflo'),
  /** How long a store operation waits for a reachable server before failing (the API answers 503). */
  MONGODB_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  FERRETDB_PATH: optionalString,
  FERRETDB_PORT: port.default(27017),
  /**
   * npm run dev, tests and benchmarks: run the local FerretDB on this PostgreSQL database (it must exist)
   * instead of SQLite files. Ignored when MONGODB_URI is set.
   */
  FERRETDB_POSTGRESQL_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
  ),
  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: port.default(3000),
  /** Operator key: manages tenants and their API keys. Unset: those routes answer 401. */
  ADMIN_API_KEY: requiredFor(optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()), [
    'api',
  ]),
  /** The Docflo platform's key: publishes events. */
  PLATFORM_API_KEY: requiredFor(optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()), [
    'api',
  ]),
  /** npm run dev's sample HTTPS receiver. */
  DEV_RECEIVER_PORT: port.default(4000),
  API_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(10 << 20)
    .default(64 * 1024),
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  WEBHOOKS_PER_TENANT_MAX: z.coerce.number().int().min(1).default(100),
  DATA_DIR: z.string().min(1).default('.data'),
  TOOLS_DIR: z.string().min(1).default('.tools'),
  /** Comma-separated base64 keys of 32 bytes: the first encrypts, all decrypt (rotation). */
  SECRETS_KEY: requiredFor(
    optionalString.pipe(
      z
        .string()
        .refine((v) => v.split(',').every((k) => Buffer.from(k.trim(), 'base64').length === 32), {
          message: 'must be base64 of exactly 32 bytes (comma-separated to keep old keys for decryption)',
        })
        .optional(),
    ),
    ['api', 'worker'],
  ),
  DELIVERY_RETRY_SCHEDULE: retrySchedule.optional(),
  /** The whole attempt: connect, headers and body. The product page promises receivers 30 s. */
  DELIVERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(30_000),
  DELIVERY_MAX_RESPONSE_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(1 << 20)
    .default(16 * 1024),
  /** Non-public ranges deliveries may reach anyway (private deployments, dev, tests), e.g. "10.0.0.0/8,::1". */
  DELIVERY_ALLOWED_CIDRS: optionalString.refine(
    (v) => {
      try {
        parseCidrs(v);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'must be comma-separated IP addresses or CIDR ranges, e.g. "10.0.0.0/8,fd00::/8"' },
  ),
  /** Extra CA bundle trusted in addition to the system and bundled roots (Node's standard variable). */
  NODE_EXTRA_CA_CERTS: optionalString,
  /** A pre-built workflow bundle (npm run build makes dist/workflow-bundle.js); unset bundles at start. */
  WORKFLOW_BUNDLE_PATH: optionalString,
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).default(200),
  /** Attempts under a gate's permit in flight per worker (each waits a few seconds for its instant). */
  WORKER_MAX_PACED_ACTIVITIES: z.coerce.number().int().min(1).default(200),
  /** Workflows kept in the worker's memory between tasks; most deliveries sleep in a backoff, so few need it. */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(250),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(1).default(100),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1000).default(20_000),
  /**
   * How soon a paused delivery first re-reads its webhook, whatever signal was lost: e.g. 300, 30s, 5m. Each
   * re-read that finds it still inactive doubles the interval, up to DELIVERY_PAUSE_RECHECK_MAX. At least 1 s.
   */
  DELIVERY_PAUSE_RECHECK: duration.pipe(z.number().min(1, 'must be at least 1 second')).default(300),
  DELIVERY_PAUSE_RECHECK_MAX: duration.pipe(z.number().min(1, 'must be at least 1 second')).default(3600),
  /** A delivery's run continues as new once its history holds this many events (docs/operations.md). */
  DELIVERY_HISTORY_LIMIT: z.coerce.number().int().min(50).max(40_000).default(2_000),
  /** How often the reconciler repairs deliveries whose record says open while no workflow runs; 0 turns it off. */
  RECONCILE_INTERVAL: duration.default(300),
  /**
   * Days a finished delivery, its attempts and its event are kept (a tenant may have its own: PATCH
   * /v1/tenants/{id}); open and paused deliveries are never purged (docs/operations.md, "Retention").
   */
  RETENTION_DAYS: z.coerce.number().int().min(1).max(400).default(30),
  /** How long a retention day lasts: a day, unless a test shortens it (e.g. "1s"). */
  RETENTION_DAY: duration.pipe(z.number().min(1, 'must be at least 1 second')).default(86_400),
  /** How often the purge runs; 0 turns it off. */
  PURGE_INTERVAL: duration.default(3_600),
  /** Records the purge deletes in one page. */
  PURGE_BATCH: z.coerce.number().int().min(10).max(1_000).default(200),
  /** The purge's pause between pages, so delivery traffic never waits behind it. */
  PURGE_PAUSE_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  /** Bench diagnostics: the worker counts its store commands by name and writes them here as JSON on exit. */
  STORE_OP_COUNTS_FILE: optionalString,
  /** How long POST /v1/events waits for Temporal to start the event's workflow before answering 503. */
  EVENT_PUBLISH_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),

  /** How old a published event's occurredAt may be (default 7 days); older ones are refused with a 400. */
  EVENT_OCCURRED_AT_MAX_AGE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .default(7 * 24 * 3600),
  /** How far ahead of the server's clock a published event's occurredAt may be (default 5 minutes of skew). */
  EVENT_OCCURRED_AT_MAX_FUTURE_SECONDS: z.coerce.number().int().min(0).default(300),
  /** Failed authentications a minute per client address; beyond it, every request with a key from it is a 429. */
  API_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).default(100),
  /**
   * Express `trust proxy`, for an API behind a reverse proxy: which proxies' X-Forwarded-For gives the client
   * address the failed-authentication limit counts. Unset: none (the socket's address).
   */
  API_TRUST_PROXY: trustProxy,

  /** Where each worker serves GET /metrics (Prometheus text format); unset: no worker metrics server. */
  METRICS_PORT: port.optional(),
  /** The address the worker's metrics server (and the Temporal SDK's exporter) binds; 0.0.0.0 for a scraper elsewhere. */
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** Where the Temporal SDK's own worker metrics are exported (the Runtime's Prometheus exporter); unset: off. */
  TEMPORAL_METRICS_PORT: port.optional(),
  /** How often a worker re-counts the pending, retrying and paused deliveries in the store for its gauge. */
  METRICS_REFRESH_INTERVAL: duration.pipe(z.number().min(1)).default(15),
  /** A webhook whose deliveries have all failed for this long (e.g. "5d", "10s") is set inactive automatically. */
  WEBHOOK_DISABLE_AFTER: duration.pipe(z.number().min(1)).default(5 * 86400),
  /** ...and only with at least this many failed deliveries in a row (no success in between). */
  WEBHOOK_DISABLE_MIN_FAILURES: z.coerce.number().int().min(1).default(10),

  /**
   * The admin API's address as tenants' browsers reach it (e.g. https://webhooks.docflo.com): portal links start
   * with it. Unset: http://API_HOST:API_PORT.
   */
  PUBLIC_URL: optionalString.pipe(
    z
      .string()
      .regex(/^https?:\/\/[^/?#]+$/, 'must be an origin: http(s)://host[:port], no path')
      .optional(),
  ),
  /** How long a portal link may wait to be opened (it works once). */
  PORTAL_LINK_TTL: duration.pipe(z.number().min(10).max(86_400)).default(600),
  /** How long a portal session lasts once its link is opened, unless its creator chose another. */
  PORTAL_SESSION_TTL: duration
    .pipe(
      z
        .number()
        .min(60)
        .max(7 * 86_400),
    )
    .default(3600),
  /**
   * Origins that may show the portal in an iframe (CSP frame-ancestors), space- or comma-separated, e.g.
   * "https://app.docflo.com". Unset: none may.
   */
  PORTAL_FRAME_ANCESTORS: optionalString.refine(
    (v) => v === undefined || v.split(/[\s,]+/).every((o) => /^https?:\/\/[A-Za-z0-9.*-]+(:\d+)?$/.test(o)),
    { message: 'must be origins such as https://app.docflo.com, separated by spaces or commas' },
  ),
  /**
   * The portal cookie's SameSite. Strict unless the portal is framed by another site: then None (which needs
   * HTTPS; the cookie is then also Partitioned).
   */
  PORTAL_COOKIE_SAMESITE: z.enum(['Strict', 'Lax', 'None']).default('Strict'),
});

export type Config = z.infer<typeof configSchema>;

export function retryScheduleOf(config: Config): number[] {
  return config.DELIVERY_RETRY_SCHEDULE ?? DEFAULT_RETRY_SCHEDULE_SECONDS;
}

/** The variables an entry point needs set, read from the schema's `requiredFor` marks. */
export function requiredVariables(entryPoint: EntryPoint): string[] {
  return Object.entries(configSchema.shape)
    .filter(([, schema]) => {
      const meta = schema.meta() as { requiredFor?: EntryPoint[] } | undefined;
      return meta?.requiredFor?.includes(entryPoint) ?? false;
    })
    .map(([name]) => name);
}

/** Production entry points call this after loadConfig: one ConfigError naming every missing variable. */
export function requireFor(config: Config, entryPoint: EntryPoint): void {
  const missing = requiredVariables(entryPoint).filter((name) => config[name as keyof Config] === undefined);
  if (missing.length > 0) {
    throw new ConfigError(
      `Missing configuration for the ${entryPoint}:\n${missing.map((name) => `  ${name}: required`).join('\n')}` +
        '\n(npm run dev sets these for local use; see the README configuration table)',
    );
  }
}

/** Parses the environment, throwing one ConfigError that names every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = configSchema.safeParse(env);
  if (parsed.success) {
    const { FERRETDB_POSTGRESQL_URL, MONGODB_URI, MONGODB_DB } = parsed.data;
    // FerretDB 1.24 lists its databases with `NOT LIKE 'pg_%'`, where `_` is any character: after a restart
    // a database named pg… would look empty.
    if (FERRETDB_POSTGRESQL_URL && !MONGODB_URI && MONGODB_DB.startsWith('pg') && MONGODB_DB.length > 2) {
      throw new ConfigError(
        'Invalid configuration:\n  MONGODB_DB: must not start with "pg" when the local FerretDB runs on PostgreSQL (FERRETDB_POSTGRESQL_URL)',
      );
    }
    return parsed.data;
  }
  const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}
