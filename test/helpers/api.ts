/**
 * The admin API over real HTTP on 127.0.0.1, built by createApp on a test engine (real store, real Temporal).
 * Every response body is kept, so a test can check that no secret ever appeared in one.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import crypto from 'node:crypto';
import { createApp, type ApiDeps } from '../../src/api/app';
import { createLogger, type Logger } from '../../src/logger';
import { createWebhookService } from '../../src/webhooks/webhook-service';
import { parseCidrs } from '../../src/delivery/ssrf';
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
    options?: { key?: string; body?: unknown; rawBody?: string; contentType?: string },
  ): Promise<ApiResponse<T>>;
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
    /** Any other API setting (limits, windows, trust proxy), as the composition root would pass it. */
    deps?: Partial<ApiDeps>;
  } = {},
): Promise<TestApi> {
  const adminKey = `admin_${crypto.randomBytes(16).toString('hex')}`;
  const platformKey = `platform_${crypto.randomBytes(16).toString('hex')}`;
  const app = createApp({
    store: t.store,
    secrets: t.secrets,
    engine: t.engine,
    webhooks: createWebhookService({
      store: t.store,
      secrets: t.secrets,
      engine: t.engine,
      maxWebhooksPerTenant: options.maxWebhooksPerTenant ?? 100,
      allowedCidrs: parseCidrs('127.0.0.1/32'),
    }),
    logger: options.logger ?? createLogger({ level: 'silent' }),
    healthChecks: { mongodb: () => t.store.ping() },
    adminApiKey: adminKey,
    platformApiKey: platformKey,
    bodyLimitBytes: 64 * 1024,
    rateLimitPerMinute: options.rateLimitPerMinute ?? 10_000,
    ...options.deps,
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const transcript: TestApi['transcript'] = [];

  const api: TestApi = {
    url,
    adminKey,
    platformKey,
    transcript,
    async call<T>(
      method: string,
      path: string,
      opts: { key?: string; body?: unknown; rawBody?: string; contentType?: string } = {},
    ) {
      const headers: Record<string, string> = {};
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
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return api;
}
