/**
 * The admin API over real HTTP on 127.0.0.1, started by the production startApi on a test engine's config
 * (real store, real Temporal).
 * Every response body is kept, so a test can check that no secret ever appeared in one.
 */
import crypto from 'node:crypto';
import { startApi, type Addresses } from '../../src/bootstrap';
import type { Store } from '../../src/store';
import { loadConfig, type Config } from '../../src/config';
import { createLogger, type Logger } from '../../src/logger';
import type { TestEngine } from './engine';

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export interface TestApi {
  url: string;
  adminKey: string;
  platformKey: string;
  /** Every response body seen, and whether it came from the route that reveals a secret on purpose. */
  transcript: { path: string; text: string }[];
  call<T = Record<string, unknown>>(
    method: string,
    path: string,
    options?: {
      key?: string;
      body?: unknown;
      rawBody?: string;
      contentType?: string;
      headers?: Record<string, string>;
    },
  ): Promise<ApiResponse<T>>;
  /** The production Config this API was started with. */
  config: Config;
  /** A new tenant and one of its API keys. */
  tenant(): Promise<{ tenantId: string; key: string }>;
  close(): Promise<void>;
}

export async function startTestApi(
  t: TestEngine,
  options: {
    maxWebhooksPerTenant?: number;
    rateLimitPerMinute?: number;
    logger?: Logger;
    /** Further production variables for this API (parsed by loadConfig like any other). */
    env?: Record<string, string>;
    /** Servers and store as this API reaches them (e.g. through a proxy a test can take down). */
    addresses?: Addresses;
    store?: Store;
  } = {},
): Promise<TestApi> {
  const adminKey = `admin_${crypto.randomBytes(16).toString('hex')}`;
  const platformKey = `platform_${crypto.randomBytes(16).toString('hex')}`;
  // The engine's own config (same secrets key, store, task queue), plus the API's settings: the production
  // wiring (startApi) builds everything else.
  const config: Config = loadConfig({
    ...t.configEnv,
    API_HOST: '127.0.0.1',
    API_PORT: '0',
    ADMIN_API_KEY: adminKey,
    PLATFORM_API_KEY: platformKey,
    API_BODY_LIMIT_BYTES: String(64 * 1024),
    API_RATE_LIMIT_PER_MINUTE: String(options.rateLimitPerMinute ?? 10_000),
    WEBHOOKS_PER_TENANT_MAX: String(options.maxWebhooksPerTenant ?? 100),
    ...options.env,
  });
  const running = await startApi({
    config,
    addresses: options.addresses ?? t.addresses,
    store: options.store ?? t.store,
    logger: options.logger ?? createLogger({ level: 'silent' }),
  });
  const url = running.url;
  const transcript: TestApi['transcript'] = [];

  const api: TestApi = {
    url,
    adminKey,
    platformKey,
    config,
    transcript,
    async call<T>(
      method: string,
      path: string,
      opts: {
        key?: string;
        body?: unknown;
        rawBody?: string;
        contentType?: string;
        headers?: Record<string, string>;
      } = {},
    ) {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.key) headers.authorization = `Bearer ${opts.key}`;
      let body: string | undefined;
      if (opts.rawBody !== undefined) body = opts.rawBody;
      else if (opts.body !== undefined) body = JSON.stringify(opts.body);
      if (body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
      const res = await fetch(`${url}${path}`, { method, headers, body });
      const text = await res.text();
      transcript.push({ path, text });
      let parsed: unknown = {};
      if (text && res.headers.get('content-type')?.includes('json')) parsed = JSON.parse(text);
      return { status: res.status, body: parsed as T, text, headers: res.headers };
    },
    async tenant() {
      const created = await api.call<{ id: string }>('POST', '/v1/tenants', {
        key: adminKey,
        body: { name: 'Test tenant' },
      });
      if (created.status !== 201) throw new Error(`tenant not created: ${created.text}`);
      const issued = await api.call<{ key: string }>('POST', `/v1/tenants/${created.body.id}/api-keys`, {
        key: adminKey,
      });
      return { tenantId: created.body.id, key: issued.body.key };
    },
    close: () => running.close(),
  };
  return api;
}
