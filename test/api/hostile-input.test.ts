/**
 * A careless or hostile client's request is a 4xx in the one error shape, never a 500, and changes nothing:
 * every route of the OpenAPI document gets a malformed body, bodies that do not decode as their
 * Content-Encoding says, unknown encodings, and bad percent-encoding in each of its path parameters.
 */
import zlib from 'node:zlib';
import { apiRoutes } from '../../src/api/app';
import { toOpenApiPath } from '../../src/api/openapi';
import type { Role } from '../../src/api/auth';
import { startTestApi, type TestApi } from '../helpers/api';
import { eventually, startTestEngine, type TestEngine } from '../helpers/engine';
import { rawRequest, type RawResponse } from '../helpers/raw-http';
import { startReceiver } from '../helpers/receiver';
import { storeSnapshot } from '../helpers/state';

let t: TestEngine;
let api: TestApi;
/** A real value for every path parameter, so each request reaches the resource it names. */
const values: Record<string, string> = {};
const keys = {} as Record<Role, string>;
let operations: { method: string; path: string; roles: Role[] }[] = [];

beforeAll(async () => {
  t = await startTestEngine();
  api = await startTestApi(t);
  // Closed after the first test (test/helpers/receiver.ts); only this setup delivers to it.
  const receiver = await startReceiver();
  const tenant = await api.tenant();
  keys.admin = api.adminKey;
  keys.platform = api.platformKey;
  keys.tenant = tenant.key;
  values.tenantId = tenant.tenantId;
  const second = await api.call<{ id: string }>('POST', `/v1/tenants/${tenant.tenantId}/api-keys`, {
    key: api.adminKey,
  });
  values.keyId = second.body.id;
  const webhook = await api.call<{ id: string }>('POST', '/v1/webhooks', {
    key: tenant.key,
    body: { url: receiver.url, event: 'document.processed', signingSecret: 'a-signing-secret-of-some-length' },
  });
  expect(webhook.status).toBe(201);
  values.webhookId = webhook.body.id;
  const sent = await api.call<{ deliveryId: string; delivered: boolean }>(
    'POST',
    `/v1/webhooks/${webhook.body.id}/test`,
    { key: tenant.key },
  );
  expect(sent.body.delivered).toBe(true);
  values.deliveryId = sent.body.deliveryId;
  const delivery = await eventually(async () => {
    const d = await t.store.deliveries.findById(sent.body.deliveryId);
    return d?.status === 'succeeded' ? d : undefined;
  });
  values.eventId = delivery.eventId;
  // No erasure is made here (that would erase the tenant): its route answers 404, after the checks below.
  values.erasureId = 'era_0000000000000000';
  values.sessionId = `ps_${'0'.repeat(24)}`;

  const doc = await api.call<{ paths: Record<string, Record<string, unknown>> }>('GET', '/openapi.json');
  const specs = apiRoutes({} as never);
  operations = Object.entries(doc.body.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => {
      const spec = specs.find((s) => toOpenApiPath(s.path) === path && s.method === method);
      if (!spec) throw new Error(`${method} ${path} is in the OpenAPI document but not a route`);
      return { method: method.toUpperCase(), path, roles: spec.roles };
    }),
  );
});
afterAll(async () => {
  await api.close();
  await t.dispose();
});

/** The path with every parameter filled in, and `override` for one of them. */
function pathOf(template: string, override?: { name: string; value: string }): string {
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => {
    if (override?.name === name) return override.value;
    if (name === 'id') {
      if (template.startsWith('/v1/webhooks')) return values.webhookId ?? '';
      if (template.startsWith('/v1/deliveries')) return values.deliveryId ?? '';
      if (template.startsWith('/v1/events')) return values.eventId ?? '';
    }
    const value = values[name];
    if (value === undefined) throw new Error(`no value for path parameter ${name} of ${template}`);
    return value;
  });
}

const paramsOf = (template: string): string[] => [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');

function keyFor(roles: Role[]): Record<string, string> {
  const role = roles[0];
  return role ? { authorization: `Bearer ${keys[role]}` } : {};
}

/** A client error in the one shape, with a message and no stack trace. */
function expectClientError(res: RawResponse, status: number, code: string, what: string): void {
  expect({ what, status: res.status, code: res.json?.error?.code }).toEqual({ what, status, code });
  expect(res.json?.error?.message).toEqual(expect.any(String));
  expect(res.text).not.toMatch(/\.ts:\d+|at [\w.]+ \(/);
}

const GARBAGE = Buffer.from('{"url": "https://example.com/", "event": "document.processed"}');

test('the OpenAPI document lists every route, and every route is driven below', () => {
  const specs = apiRoutes({} as never);
  expect(operations).toHaveLength(specs.length);
  expect(operations.length).toBeGreaterThanOrEqual(15);
});

test('no request below changes the store', async () => {
  const before = await storeSnapshot(t.db);
  expect(Object.keys(before)).toEqual(expect.arrayContaining(['webhooks', 'deliveries', 'events']));

  for (const op of operations) {
    const auth = keyFor(op.roles);
    const path = pathOf(op.path);
    const what = `${op.method} ${op.path}`;

    // Malformed JSON: 400 malformed_json on every route, whether it takes a body or not.
    for (const body of ['{"url":', '{"a":1,}', 'nul', '\u0000']) {
      const res = await rawRequest(api.url, op.method, path, {
        headers: { ...auth, 'content-type': 'application/json' },
        body,
      });
      expectClientError(res, 400, 'malformed_json', `${what} with body ${JSON.stringify(body)}`);
    }

    // A body that is not what its Content-Encoding says: 400, naming the encoding.
    for (const encoding of ['gzip', 'deflate', 'br', 'GZIP']) {
      const res = await rawRequest(api.url, op.method, path, {
        headers: { ...auth, 'content-type': 'application/json', 'content-encoding': encoding },
        body: GARBAGE,
      });
      expectClientError(res, 400, 'malformed_body', `${what} with a body that is not ${encoding}`);
      expect(res.json?.error?.message).toContain(encoding.toLowerCase());
    }
    // Truncated gzip: the stream ends early.
    const truncated = zlib.gzipSync(GARBAGE).subarray(0, 20);
    expectClientError(
      await rawRequest(api.url, op.method, path, {
        headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: truncated,
      }),
      400,
      'malformed_body',
      `${what} with truncated gzip`,
    );

    // An encoding or a charset the API does not speak: 415.
    const unsupported: Record<string, string>[] = [
      { 'content-encoding': 'compress' },
      { 'content-encoding': 'gzip, gzip' },
      { 'content-type': 'application/json; charset=iso-8859-1' },
      { 'content-type': 'text/plain' },
    ];
    for (const headers of unsupported) {
      const res = await rawRequest(api.url, op.method, path, {
        headers: { ...auth, 'content-type': 'application/json', ...headers },
        body: GARBAGE,
      });
      expectClientError(res, 415, 'unsupported_media_type', `${what} with ${JSON.stringify(headers)}`);
    }

    // Each path parameter with bad percent-encoding, the others valid.
    for (const name of paramsOf(op.path)) {
      for (const value of ['%ZZ', '%', 'abc%E0%A4%A', '%C0%AF', '%FF']) {
        const res = await rawRequest(api.url, op.method, pathOf(op.path, { name, value }), { headers: auth });
        expectClientError(res, 400, 'validation_failed', `${what} with ${name}=${value}`);
      }
    }
  }

  // And a request with an empty body but a Content-Encoding still works: the encoding applies to nothing.
  const list = await rawRequest(api.url, 'GET', '/v1/webhooks', {
    headers: { ...keyFor(['tenant']), 'content-encoding': 'gzip' },
  });
  expect(list.status).toBe(200);

  expect(await storeSnapshot(t.db)).toEqual(before);
});

test('a valid gzip body is accepted, so the 400s above are about the bytes, not the header', async () => {
  const body = zlib.gzipSync(JSON.stringify({ name: 'Gzipped tenant' }));
  const res = await rawRequest(api.url, 'POST', '/v1/tenants', {
    headers: { ...keyFor(['admin']), 'content-type': 'application/json', 'content-encoding': 'gzip' },
    body,
  });
  expect(res.status).toBe(201);
});

describe('IDs follow one pattern in every path and body: no ".", "..", "/" or other characters', () => {
  /** As sent on the wire: the router decodes %2E%2E to "..", a%2Fb to "a/b". */
  const BAD_IDS = [
    '..',
    '.',
    '%2E%2E',
    '.hidden',
    'a..b',
    'trailing.',
    'a%2Fb',
    '%2F',
    'a%20b',
    '%00',
    '%C3%A9',
    '%252E',
  ];

  test('in each path parameter of every route: 400 naming the parameter, nothing changes', async () => {
    const before = await storeSnapshot(t.db);
    for (const op of operations) {
      for (const name of paramsOf(op.path)) {
        for (const value of BAD_IDS) {
          const res = await rawRequest(api.url, op.method, pathOf(op.path, { name, value }), {
            headers: keyFor(op.roles),
          });
          const what = `${op.method} ${op.path} with ${name}=${value}`;
          expectClientError(res, 400, 'validation_failed', what);
          expect([what, res.json?.error?.details]).toEqual([
            what,
            expect.arrayContaining([expect.objectContaining({ field: `path.${name}` })]),
          ]);
        }
      }
    }
    expect(await storeSnapshot(t.db)).toEqual(before);
  });

  test('in bodies: tenantId, eventId and documentId', async () => {
    const before = await storeSnapshot(t.db);
    const publish = { tenantId: values.tenantId, event: 'document.processed', documentId: 'doc-1', eventId: 'evt-1' };
    const cases: [string, string, Record<string, unknown>, string][] = [
      ['POST', '/v1/tenants', { tenantId: '..', name: 'x' }, 'body.tenantId'],
      ['POST', '/v1/tenants', { tenantId: 'a/b', name: 'x' }, 'body.tenantId'],
      ['POST', '/v1/events', { ...publish, eventId: '..' }, 'body.eventId'],
      ['POST', '/v1/events', { ...publish, eventId: 'evt/1' }, 'body.eventId'],
      ['POST', '/v1/events', { ...publish, tenantId: '.' }, 'body.tenantId'],
      ['POST', '/v1/events', { ...publish, documentId: '../etc' }, 'body.documentId'],
      ['POST', '/v1/events', { ...publish, documentId: 'a b' }, 'body.documentId'],
    ];
    for (const [method, path, body, field] of cases) {
      const role: Role = path === '/v1/events' ? 'platform' : 'admin';
      const res = await api.call<{ error: { details: { field: string }[] } }>(method, path, { key: keys[role], body });
      expect([body, res.status, res.body.error.details.map((d) => d.field)]).toEqual([body, 400, [field]]);
    }
    expect(await storeSnapshot(t.db)).toEqual(before);
  });

  test('the pattern still takes the IDs the engine and the platform use', async () => {
    for (const id of ['acme-corp', 'evt_0192f3a4-b5c6', 'v1.2.3', '65f1a2b3c4d5e6f7a8b9c0d1', 'a~b']) {
      const res = await api.call('POST', '/v1/tenants', { key: api.adminKey, body: { tenantId: id, name: id } });
      expect([id, res.status]).toEqual([id, 201]);
    }
  });
});
