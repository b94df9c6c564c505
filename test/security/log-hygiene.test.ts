/**
 * No key reaches a log: a client that puts keys in the query string, the body, unexpected headers or even the
 * path leaves none of them in the captured log of a run, while the run's requests are all logged.
 */
import zlib from 'node:zlib';
import { loggedPath } from '../../src/api/app';
import { REDACTED_PATHS } from '../../src/logger';
import { capturedLogger } from '../helpers/log-capture';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestEngine, type TestEngine } from '../helpers/engine';
import { rawRequest } from '../helpers/raw-http';

const { logger, lines } = capturedLogger();

let t: TestEngine;
let api: TestApi;
let tenantKey: string;
beforeAll(async () => {
  t = await startTestEngine({ logger });
  api = await startTestApi(t, { logger });
  tenantKey = (await api.tenant()).key;
});
afterAll(async () => {
  await api.close();
  await t.dispose();
});

/** Distinct, searchable secrets: one per place a client could put one. */
const leaked = (where: string) => `leak-${where}-${Math.random().toString(36).slice(2, 10)}`;

test('keys in the query string, the body, unexpected headers and the path are not in the log', async () => {
  const secrets: string[] = [];
  const s = (where: string): string => {
    const value = leaked(where);
    secrets.push(value);
    return value;
  };
  const auth = { authorization: `Bearer ${tenantKey}` };
  const json = { ...auth, 'content-type': 'application/json' };
  const requests: [string, string, Record<string, string>, string?][] = [
    // The query string: refused as an unknown parameter (400), without a key (401), on an unknown route.
    ['GET', `/v1/webhooks?api_key=${s('query-200')}`, auth],
    ['GET', `/v1/webhooks?token=${s('query-401')}&access_token=${s('query-401b')}`, {}],
    ['GET', `/v1/nope?key=${s('query-404')}`, auth],
    ['GET', `/v1/webhooks?${s('query-bare')}`, auth],
    // Bodies: accepted, refused by validation, malformed, undecodable.
    [
      'POST',
      '/v1/webhooks',
      json,
      JSON.stringify({
        url: 'https://hooks.example.test/x',
        event: 'document.processed',
        auth: { type: 'bearer', token: s('body-201') },
        signingSecret: s('body-signing-201'),
      }),
    ],
    [
      'POST',
      '/v1/webhooks',
      json,
      JSON.stringify({ url: 'ftp://x', event: 'nope', auth: { type: 'apiKey', key: s('body-400') }, apiKey: s('b') }),
    ],
    ['POST', '/v1/webhooks', json, `{"apiKey": "${s('body-malformed')}", `],
    ['POST', '/v1/webhooks', { ...json, 'content-encoding': 'gzip' }, `{"apiKey": "${s('body-gzip')}"}`],
    // Unexpected headers, and a wrong key in Authorization.
    [
      'GET',
      '/v1/webhooks',
      {
        ...auth,
        'x-api-key': s('x-api-key'),
        cookie: `session=${s('cookie')}`,
        'proxy-authorization': `Bearer ${s('proxy-authorization')}`,
        'x-secret-token': s('x-secret-token'),
      },
    ],
    ['GET', '/v1/webhooks', { authorization: `Bearer ${s('wrong-key')}` }],
    ['GET', '/v1/webhooks', { authorization: `Basic ${Buffer.from(`u:${s('basic')}`).toString('base64')}` }],
    // A tenant key pasted into the path.
    ['GET', `/v1/webhooks/${tenantKey}`, auth],
  ];
  const statuses: number[] = [];
  for (const [method, path, headers, body] of requests) {
    statuses.push((await rawRequest(api.url, method, path, { headers, body })).status);
  }
  expect(statuses).toEqual([400, 401, 404, 400, 201, 400, 400, 400, 200, 401, 401, 404]);
  // A gzip body that decodes, with a key inside, for the decoding path too.
  const gz = await rawRequest(api.url, 'POST', '/v1/tenants', {
    headers: {
      authorization: `Bearer ${api.adminKey}`,
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    },
    body: zlib.gzipSync(JSON.stringify({ name: 'x', token: s('gzip-body') })),
  });
  expect(gz.status).toBe(400);

  const log = lines.join('');
  const found = [...secrets, tenantKey, api.adminKey].filter((secret) => log.includes(secret));
  expect(found).toEqual([]);
  // The scan saw the run: every request above was logged, by path, without its query string.
  const urls = lines.map((l) => (JSON.parse(l) as { req?: { url?: string } }).req?.url).filter(Boolean);
  expect(urls).toEqual(
    expect.arrayContaining(['/v1/webhooks', '/v1/nope', '/v1/tenants', '/v1/webhooks/dfk_[redacted]']),
  );
  expect(urls.length).toBeGreaterThanOrEqual(requests.length);
  expect(urls.filter((u) => u?.includes('?'))).toEqual([]);
});

test('loggedPath drops the query string and masks a tenant key anywhere in the path', () => {
  expect(loggedPath('/v1/webhooks?api_key=abc&limit=2')).toBe('/v1/webhooks');
  expect(loggedPath('/v1/webhooks?')).toBe('/v1/webhooks');
  expect(loggedPath('/v1/x/dfk_AbC-12_x/y?z')).toBe('/v1/x/dfk_[redacted]/y');
  expect(loggedPath(undefined)).toBe('');
});

test('the redaction list covers every credential field and header, in records, requests and errors', () => {
  const { logger: log, lines: captured } = capturedLogger('info');
  const secrets: string[] = [];
  const s = (where: string): string => {
    const value = leaked(where);
    secrets.push(value);
    return value;
  };
  const credentials = () => ({
    password: s('password'),
    token: s('token'),
    key: s('key'),
    secret: s('secret'),
    signingSecret: s('signingSecret'),
    apiKey: s('apiKey'),
    api_key: s('api_key'),
    accessToken: s('accessToken'),
    access_token: s('access_token'),
    client_secret: s('client_secret'),
    authorization: s('authorization'),
    cookie: s('cookie'),
  });
  const headers = () => ({
    authorization: s('h-authorization'),
    'proxy-authorization': s('h-proxy-authorization'),
    cookie: s('h-cookie'),
    'set-cookie': s('h-set-cookie'),
    'x-api-key': s('h-x-api-key'),
  });
  const parseError = Object.assign(new Error('Unexpected token'), { type: 'entity.parse.failed', body: s('err-body') });
  log.info({ ...credentials(), headers: headers() }, 'top level');
  log.info({ webhook: { auth: { type: 'custom', anything: s('auth-anything') }, ...credentials() } }, 'one deep');
  log.info({ req: { headers: headers(), body: { auth: { password: s('deep') } }, query: { k: s('q') } } }, 'request');
  log.info({ a: { b: { c: credentials() } } }, 'three deep');
  log.error({ err: parseError }, 'an error that carries the request body');
  const text = captured.join('');
  expect(secrets.filter((secret) => text.includes(secret))).toEqual([]);
  expect(captured).toHaveLength(5);
  expect(text).toContain('[redacted]');
  expect(REDACTED_PATHS.length).toBeGreaterThan(50);
});
