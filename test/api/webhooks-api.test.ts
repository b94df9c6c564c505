/** The admin API's webhook and tenant routes over HTTP: success paths, validation, isolation, OpenAPI. */
import SwaggerParser from '@apidevtools/swagger-parser';
import { apiRoutes } from '../../src/api/app';
import { toOpenApiPath } from '../../src/api/openapi';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestEngine, type TestEngine } from '../helpers/engine';

let t: TestEngine;
let api: TestApi;
beforeAll(async () => {
  t = await startTestEngine();
  api = await startTestApi(t, { maxWebhooksPerTenant: 5 });
});
afterAll(async () => {
  await api.close();
  await t.dispose();
});

const SECRETS = {
  password: 'basic-password-never-shown',
  token: 'bearer-token-never-shown-123',
  key: 'api-key-value-never-shown-456',
  signing: 'signing-secret-never-shown-789',
};

interface WebhookBody {
  id: string;
  url: string;
  auth: Record<string, string>;
  signingSecret: string | null;
  status: string;
  retrySchedule: number[] | null;
  handedToDeliveries?: number;
}

const valid = { url: 'https://receiver.example.com/hooks', event: 'document.processed' };

describe('tenants and keys', () => {
  test('the operator creates a tenant and issues a key that works once and stops working when revoked', async () => {
    const created = await api.call<{ id: string; name: string }>('POST', '/v1/tenants', {
      key: api.adminKey,
      body: { tenantId: 'acme-corp', name: 'Acme' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'acme-corp', name: 'Acme' });
    expect(
      (await api.call('POST', '/v1/tenants', { key: api.adminKey, body: { tenantId: 'acme-corp', name: 'Again' } }))
        .status,
    ).toBe(409);

    const issued = await api.call<{ id: string; key: string; prefix: string }>(
      'POST',
      '/v1/tenants/acme-corp/api-keys',
      { key: api.adminKey },
    );
    expect(issued.status).toBe(201);
    expect(issued.body.key).toMatch(/^dfk_/);
    expect(issued.body.key.startsWith(issued.body.prefix)).toBe(true);
    expect((await api.call('GET', '/v1/webhooks', { key: issued.body.key })).status).toBe(200);

    expect(
      (await api.call('DELETE', `/v1/tenants/acme-corp/api-keys/${issued.body.id}`, { key: api.adminKey })).status,
    ).toBe(204);
    expect((await api.call('GET', '/v1/webhooks', { key: issued.body.key })).status).toBe(401);
    expect(
      (await api.call('DELETE', `/v1/tenants/acme-corp/api-keys/${issued.body.id}`, { key: api.adminKey })).status,
    ).toBe(404);
    expect((await api.call('POST', '/v1/tenants/nobody/api-keys', { key: api.adminKey })).status).toBe(404);
  });

  test('without a key 401, with a wrong key 401, with the wrong kind of key 403', async () => {
    const { key } = await api.tenant();
    expect((await api.call('GET', '/v1/webhooks')).status).toBe(401);
    expect((await api.call('GET', '/v1/webhooks', { key: 'dfk_wrong' })).status).toBe(401);
    const malformed = await fetch(`${api.url}/v1/webhooks`, { headers: { authorization: 'Basic abc' } });
    expect(malformed.status).toBe(401);
    expect((await api.call('POST', '/v1/tenants', { key, body: { name: 'x' } })).status).toBe(403);
    expect((await api.call('GET', '/v1/webhooks', { key: api.platformKey })).status).toBe(403);
    expect((await api.call('GET', '/v1/webhooks', { key: api.adminKey })).status).toBe(403);
  });
});

describe('webhooks', () => {
  test('create, get, list, update and delete, with every credential masked', async () => {
    const { key } = await api.tenant();
    const created = await api.call<WebhookBody>('POST', '/v1/webhooks', {
      key,
      body: {
        ...valid,
        auth: { type: 'basic', username: 'docflo', password: SECRETS.password },
        signingSecret: SECRETS.signing,
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      url: valid.url,
      event: 'document.processed',
      status: 'active',
      auth: { type: 'basic', username: 'docflo', password: '****hown' },
      signingSecret: '****-789',
      retrySchedule: null,
    });
    const id = created.body.id;
    expect((await api.call<WebhookBody>('GET', `/v1/webhooks/${id}`, { key })).body).toEqual({
      ...created.body,
      pausedDeliveries: 0,
    });

    const updated = await api.call<WebhookBody>('PATCH', `/v1/webhooks/${id}`, {
      key,
      body: { auth: { type: 'bearer', token: SECRETS.token }, signingSecret: null, retrySchedule: [1, 2] },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      auth: { type: 'bearer', token: '****-123' },
      signingSecret: null,
      retrySchedule: [1, 2],
      handedToDeliveries: 0,
    });

    const apiKeyed = await api.call<WebhookBody>('PATCH', `/v1/webhooks/${id}`, {
      key,
      body: { auth: { type: 'apiKey', key: SECRETS.key } },
    });
    expect(apiKeyed.body.auth).toEqual({ type: 'apiKey', headerName: 'x-api-key', key: '****-456' });

    const secretless = await api.call<{ signingSecret: string | null }>('GET', `/v1/webhooks/${id}/secret`, { key });
    expect(secretless.body).toEqual({ signingSecret: null });
    await api.call('PATCH', `/v1/webhooks/${id}`, { key, body: { signingSecret: SECRETS.signing } });
    const revealed = await api.call<{ signingSecret: string }>('GET', `/v1/webhooks/${id}/secret`, { key });
    expect(revealed.body.signingSecret).toBe(SECRETS.signing);

    const deleted = await api.call('DELETE', `/v1/webhooks/${id}`, { key });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ deleted: true, cancelledDeliveries: 0 });
    expect((await api.call('GET', `/v1/webhooks/${id}`, { key })).status).toBe(404);
  });

  test('the list filters by event and status and pages with a cursor, in creation order', async () => {
    const { key } = await api.tenant();
    const ids: string[] = [];
    for (const [event, status] of [
      ['document.created', 'active'],
      ['document.created', 'inactive'],
      ['document.approved', 'active'],
      ['document.created', 'active'],
    ]) {
      ids.push(
        (await api.call<WebhookBody>('POST', '/v1/webhooks', { key, body: { ...valid, event, status } })).body.id,
      );
    }
    const first = await api.call<{ data: WebhookBody[]; nextCursor: string }>('GET', '/v1/webhooks?limit=2', { key });
    expect(first.body.data.map((w) => w.id)).toEqual(ids.slice(0, 2));
    const second = await api.call<{ data: WebhookBody[]; nextCursor: string | null }>(
      'GET',
      `/v1/webhooks?limit=2&cursor=${first.body.nextCursor}`,
      { key },
    );
    expect(second.body.data.map((w) => w.id)).toEqual(ids.slice(2));
    expect(second.body.nextCursor).toBeNull();
    const created = await api.call<{ data: WebhookBody[] }>(
      'GET',
      '/v1/webhooks?event=document.created&status=active',
      { key },
    );
    expect(created.body.data.map((w) => w.id)).toEqual([ids[0], ids[3]]);
  });

  test('a tenant is capped in how many webhooks it may have', async () => {
    const { key } = await api.tenant();
    for (let i = 0; i < 5; i++) expect((await api.call('POST', '/v1/webhooks', { key, body: valid })).status).toBe(201);
    const refused = await api.call<{ error: { code: string } }>('POST', '/v1/webhooks', { key, body: valid });
    expect(refused.status).toBe(409);
  });
});

describe('validation: a 400 naming the field and reason, and nothing changes', () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    [
      'an http:// URL',
      { ...valid, url: 'http://receiver.example.com/' },
      'body.url',
      /HTTP endpoints are not supported/,
    ],
    ['a non-https scheme', { ...valid, url: 'ftp://receiver.example.com/' }, 'body.url', /only https/],
    ['a relative URL', { ...valid, url: '/hooks' }, 'body.url', /absolute URL/],
    ['credentials in the URL', { ...valid, url: 'https://user:pw@receiver.example.com/' }, 'body.url', /credentials/],
    ['a fragment', { ...valid, url: 'https://receiver.example.com/#frag' }, 'body.url', /fragment/],
    ['a missing URL', { event: valid.event }, 'body.url', /./],
    ['an unknown event', { ...valid, event: 'document.deleted' }, 'body.event', /./],
    ['an unknown auth type', { ...valid, auth: { type: 'digest' } }, 'body.auth.type', /./],
    ['basic without password', { ...valid, auth: { type: 'basic', username: 'u' } }, 'body.auth.password', /./],
    [
      'basic with ":" in the username',
      { ...valid, auth: { type: 'basic', username: 'a:b', password: 'p' } },
      'body.auth.username',
      /":"/,
    ],
    ['bearer with an empty token', { ...valid, auth: { type: 'bearer', token: '' } }, 'body.auth.token', /empty/],
    [
      'an invalid header name',
      { ...valid, auth: { type: 'apiKey', headerName: 'Bad Header', key: 'k' } },
      'body.auth.headerName',
      /header name/,
    ],
    [
      'a reserved header name',
      { ...valid, auth: { type: 'apiKey', headerName: 'X-Docflo-Signature', key: 'k' } },
      'body.auth.headerName',
      /engine sets/,
    ],
    ['a short signing secret', { ...valid, signingSecret: 'short' }, 'body.signingSecret', /at least 16/],
    ['a negative retry delay', { ...valid, retrySchedule: [-1] }, 'body.retrySchedule.0', /./],
    ['an unknown status', { ...valid, status: 'paused' }, 'body.status', /./],
    ['an unknown field', { ...valid, colour: 'blue' }, 'body', /colour/],
    ['a rate of zero', { ...valid, rateLimit: { perSecond: 0 } }, 'body.rateLimit.perSecond', /./],
    ['a fractional burst', { ...valid, rateLimit: { perSecond: 5, burst: 1.5 } }, 'body.rateLimit.burst', /./],
    ['maxInFlight 0', { ...valid, maxInFlight: 0 }, 'body.maxInFlight', /./],
    ['an unknown ordering', { ...valid, ordering: 'fifo' }, 'body.ordering', /./],
  ];

  test.each(cases)('%s', async (_name, body, field, reason) => {
    const { key } = await api.tenant();
    const res = await api.call<{
      error: { code: string; message: string; details: { field: string; message: string }[] };
    }>('POST', '/v1/webhooks', { key, body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    const detail = res.body.error.details.find((d) => d.field === field);
    expect(detail).toBeDefined();
    expect(`${detail?.message} ${res.body.error.message}`).toMatch(reason);
    expect(res.text).not.toMatch(/at .*\.ts:\d+/); // never a stack trace
    const list = await api.call<{ data: unknown[] }>('GET', '/v1/webhooks', { key });
    expect(list.body.data).toHaveLength(0);
  });

  test('flow settings: set at creation, shown by GET, changed and removed by PATCH', async () => {
    const { key } = await api.tenant();
    const created = await api.call<WebhookBody & Record<string, unknown>>('POST', '/v1/webhooks', {
      key,
      body: { ...valid, rateLimit: { perSecond: 2.5 }, ordering: 'document' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      rateLimit: { perSecond: 2.5, burst: 1 },
      maxInFlight: null,
      ordering: 'document',
    });
    const id = created.body.id;
    const patched = await api.call('PATCH', `/v1/webhooks/${id}`, {
      key,
      body: { rateLimit: null, maxInFlight: 3, ordering: 'none' },
    });
    expect(patched.status).toBe(200);
    const shown = await api.call<Record<string, unknown>>('GET', `/v1/webhooks/${id}`, { key });
    expect(shown.body).toMatchObject({ rateLimit: null, maxInFlight: 3, ordering: 'none' });
    const stored = await t.store.webhooks.findById(id);
    expect(stored?.rateLimit).toBeUndefined();
    expect(stored?.ordering).toBeUndefined();
  });

  test('a bad PATCH changes nothing', async () => {
    const { key } = await api.tenant();
    const created = await api.call<WebhookBody>('POST', '/v1/webhooks', { key, body: valid });
    for (const body of [{}, { url: 'http://x.example/' }, { status: 'on' }, { auth: { type: 'basic' } }]) {
      expect((await api.call('PATCH', `/v1/webhooks/${created.body.id}`, { key, body })).status).toBe(400);
    }
    expect((await api.call<WebhookBody>('GET', `/v1/webhooks/${created.body.id}`, { key })).body).toEqual({
      ...created.body,
      pausedDeliveries: 0,
    });
  });

  test('malformed JSON is a 400, a non-JSON body a 415, an oversized body a 413', async () => {
    const { key } = await api.tenant();
    const malformed = await api.call<{ error: { code: string } }>('POST', '/v1/webhooks', { key, rawBody: '{"url":' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('malformed_json');
    const text = await api.call('POST', '/v1/webhooks', { key, rawBody: 'url=https://x', contentType: 'text/plain' });
    expect(text.status).toBe(415);
    const huge = await api.call('POST', '/v1/webhooks', { key, body: { ...valid, padding: 'x'.repeat(100_000) } });
    expect(huge.status).toBe(413);
    expect((await api.call<{ data: unknown[] }>('GET', '/v1/webhooks', { key })).body.data).toHaveLength(0);
  });

  test('bad query parameters name the parameter', async () => {
    const { key } = await api.tenant();
    const tooMany = await api.call<{ error: { details: { field: string }[] } }>('GET', '/v1/webhooks?limit=1000', {
      key,
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.details[0]?.field).toBe('query.limit');
    const cursor = await api.call<{ error: { details: { field: string }[] } }>('GET', '/v1/webhooks?cursor=garbage', {
      key,
    });
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.details[0]?.field).toBe('query.cursor');
  });
});

test("a second tenant gets 404 on every route for the first tenant's webhook, and changes nothing", async () => {
  const a = await api.tenant();
  const b = await api.tenant();
  const created = await api.call<WebhookBody>('POST', '/v1/webhooks', {
    key: a.key,
    body: { ...valid, signingSecret: SECRETS.signing },
  });
  const id = created.body.id;
  const attempts: [string, string, unknown?][] = [
    ['GET', `/v1/webhooks/${id}`],
    ['PATCH', `/v1/webhooks/${id}`, { status: 'inactive' }],
    ['DELETE', `/v1/webhooks/${id}`],
    ['GET', `/v1/webhooks/${id}/secret`],
    ['POST', `/v1/webhooks/${id}/test`],
    ['GET', `/v1/webhooks/${id}/deliveries`],
    ['POST', `/v1/webhooks/${id}/recover`, { since: '2020-01-01T00:00:00Z' }],
  ];
  for (const [method, path, body] of attempts) {
    const res = await api.call<{ error: { code: string } }>(method, path, { key: b.key, body });
    expect([method, path, res.status]).toEqual([method, path, 404]);
  }
  expect((await api.call<{ data: unknown[] }>('GET', '/v1/webhooks', { key: b.key })).body.data).toHaveLength(0);
  expect((await api.call<WebhookBody>('GET', `/v1/webhooks/${id}`, { key: a.key })).body).toEqual({
    ...created.body,
    pausedDeliveries: 0,
  });
});

test('the OpenAPI document is valid 3.1 and lists every route; /docs serves a page', async () => {
  const res = await api.call<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
    'GET',
    '/openapi.json',
  );
  expect(res.status).toBe(200);
  expect(res.body.openapi).toBe('3.1.0');
  // Throws, naming the offending path, on any violation of the OpenAPI 3.1 schema.
  await expect(SwaggerParser.validate(structuredClone(res.body) as never)).resolves.toBeDefined();
  for (const spec of apiRoutes({} as never)) {
    expect(res.body.paths[toOpenApiPath(spec.path)]?.[spec.method]).toBeDefined();
  }
  // A response's headers and a status's error codes are documented where a route declares them.
  type Responses = Record<string, { description: string; headers?: Record<string, unknown> }>;
  const responses = (path: string, method: string) =>
    (res.body.paths[path]?.[method] as { responses: Responses }).responses;
  expect(Object.keys(responses('/v1/tenants/{tenantId}', 'delete')['202']?.headers ?? {})).toEqual(['Location']);
  expect(responses('/v1/events', 'post')['409']?.description).toContain('tenant_erasing');
  expect(responses('/v1/deliveries/{id}/redeliver', 'post')['409']?.description).toContain('payload_erased');
  expect(responses('/v1/events/{id}/payload', 'delete')['202']?.description).toContain('complete: false');
  const docs = await fetch(`${api.url}/docs/`);
  expect(docs.status).toBe(200);
  expect(await docs.text()).toContain('swagger-ui');
});

afterAll(() => {
  // No response of this file, except the one that reveals a signing secret on purpose, contains a secret.
  const leaks = api.transcript.filter(
    ({ path, text }) => !path.endsWith('/secret') && Object.values(SECRETS).some((s) => text.includes(s)),
  );
  expect(leaks).toEqual([]);
  // The scan can see a secret where one is shown on purpose, so its silence above means something.
  expect(api.transcript.some(({ path, text }) => path.endsWith('/secret') && text.includes(SECRETS.signing))).toBe(
    true,
  );
});
