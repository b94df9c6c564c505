/**
 * Limits that hold: the per-key rate limit counts the authenticated identity, not the header's spelling; failed
 * authentications are limited per client address (then every attempt from it is a 429, valid key or not); the
 * client address comes from X-Forwarded-For only through a configured trusted proxy.
 */
import crypto from 'node:crypto';
import { FailedAuthLimiter } from '../../src/api/auth-failures';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestEngine, type TestEngine } from '../helpers/engine';
import { rawRequest, type RawResponse } from '../helpers/raw-http';

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine();
});
afterAll(async () => {
  await t.dispose();
});

const opened: TestApi[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((a) => a.close()));
});
async function apiWith(options: Parameters<typeof startTestApi>[1]): Promise<TestApi> {
  const api = await startTestApi(t, options);
  opened.push(api);
  return api;
}

const get = (api: TestApi, authorization: string, headers: Record<string, string> = {}): Promise<RawResponse> =>
  rawRequest(api.url, 'GET', '/v1/webhooks', { headers: { authorization, ...headers } });
const randomKey = (): string => `dfk_${crypto.randomBytes(24).toString('base64url')}`;

function expectLimited(res: RawResponse, what: string): void {
  expect([what, res.status, res.json?.error?.code]).toEqual([what, 429, 'rate_limited']);
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
}

describe('the per-key rate limit counts the identity, whatever the spelling of the header', () => {
  test('once a key gets 429, every spelling of it does too; another key does not', async () => {
    const api = await apiWith({ rateLimitPerMinute: 5 });
    const a = await api.tenant();
    const b = await api.tenant();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await get(api, `Bearer ${a.key}`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    for (const spelling of [
      `Bearer ${a.key}`,
      `bearer ${a.key}`,
      `bEaReR ${a.key}`,
      `BEARER ${a.key}`,
      `Bearer  ${a.key}`,
      `Bearer\t${a.key}`,
      `Bearer \t ${a.key}`,
    ]) {
      expectLimited(await get(api, spelling), JSON.stringify(spelling));
    }
    expect((await get(api, `Bearer ${b.key}`)).status).toBe(200);
  });

  test('the operator and platform keys are limited as themselves', async () => {
    const api = await apiWith({ rateLimitPerMinute: 3 });
    for (let i = 0; i < 3; i++) await api.call('POST', '/v1/tenants', { key: api.adminKey, body: { name: 'x' } });
    expectLimited(await get(api, `bearer  ${api.adminKey}`), 'admin, re-spelled');
    expect((await get(api, `Bearer ${api.platformKey}`)).status).toBe(403); // counted apart, and not a tenant
  });
});

describe('failed authentications are limited per client address', () => {
  test('after the limit, 429 with Retry-After for any key from that address, valid or not', async () => {
    const api = await apiWith({ env: { API_AUTH_FAILURES_PER_MINUTE: '10' } });
    const { key } = await api.tenant();
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await get(api, `Bearer ${randomKey()}`)).status);
    expect(statuses).toEqual(Array(10).fill(401));
    const limited = await get(api, `Bearer ${randomKey()}`);
    expectLimited(limited, 'the 11th guess');
    expect(limited.json?.error?.message).toMatch(/failed authentications from this address: at most 10 a minute/);
    // A valid key answers the same as an invalid one: the limit is no oracle.
    expectLimited(await get(api, `Bearer ${key}`), 'a valid key from the same address');
    expectLimited(await get(api, 'Basic Zm9vOmJhcg=='), 'a malformed header');
    // Requests without a key are not authentications: they still get their 401.
    expect((await rawRequest(api.url, 'GET', '/v1/webhooks')).status).toBe(401);
  });

  test('malformed Authorization headers count as failures; valid keys do not', async () => {
    const api = await apiWith({ env: { API_AUTH_FAILURES_PER_MINUTE: '4' } });
    const { key } = await api.tenant();
    for (let i = 0; i < 20; i++) expect((await get(api, `Bearer ${key}`)).status).toBe(200);
    for (const header of ['Basic Zm9vOmJhcg==', 'Bearer', 'Token abc', `Bearer ${randomKey()} extra`]) {
      expect([header, (await get(api, header)).status]).toEqual([header, 401]);
    }
    expectLimited(await get(api, `Bearer ${key}`), 'after four malformed headers');
  });

  test('a burst of concurrent guesses cannot overtake the count', async () => {
    const api = await apiWith({ env: { API_AUTH_FAILURES_PER_MINUTE: '10' } });
    const results = await Promise.all(Array.from({ length: 60 }, () => get(api, `Bearer ${randomKey()}`)));
    const counts = { 401: 0, 429: 0 } as Record<number, number>;
    for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
    expect(counts).toEqual({ 401: 10, 429: 50 });
  });

  test('without a trusted proxy, X-Forwarded-For is ignored: a spoofed address does not reset the count', async () => {
    const api = await apiWith({ env: { API_AUTH_FAILURES_PER_MINUTE: '3' } });
    for (let i = 0; i < 3; i++) await get(api, `Bearer ${randomKey()}`, { 'x-forwarded-for': `198.51.100.${i}` });
    expectLimited(
      await get(api, `Bearer ${randomKey()}`, { 'x-forwarded-for': '203.0.113.99' }),
      'a fresh spoofed address',
    );
  });

  test('behind a trusted proxy, each client address has its own count', async () => {
    const api = await apiWith({ env: { API_AUTH_FAILURES_PER_MINUTE: '3', API_TRUST_PROXY: 'loopback' } });
    const { key } = await api.tenant();
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    for (let i = 0; i < 3; i++) await get(api, `Bearer ${randomKey()}`, from('203.0.113.5'));
    expectLimited(await get(api, `Bearer ${key}`, from('203.0.113.5')), 'the guessing client');
    expect((await get(api, `Bearer ${key}`, from('203.0.113.6'))).status).toBe(200);
    expect((await get(api, `Bearer ${randomKey()}`, from('203.0.113.6'))).status).toBe(401);
  });
});

describe('FailedAuthLimiter', () => {
  test('counts failures and pending attempts, not successes, and starts over after the window', () => {
    let now = 1_000_000;
    const limiter = new FailedAuthLimiter(2, () => now, 60_000);
    const begin = (address = 'a') => {
      const verdict = limiter.begin(address);
      if (!verdict.allowed) throw new Error(`refused, retry after ${verdict.retryAfterSeconds}`);
      return verdict.attempt;
    };
    for (let i = 0; i < 5; i++) begin().release();
    const first = begin();
    const second = begin();
    // Two attempts in flight fill the limit before either is known to fail.
    expect(limiter.begin('a')).toEqual({ allowed: false, retryAfterSeconds: 60 });
    second.release();
    first.fail();
    first.fail(); // settling twice counts once
    begin().fail();
    now += 30_500;
    expect(limiter.begin('a')).toEqual({ allowed: false, retryAfterSeconds: 30 });
    expect(limiter.begin('b').allowed).toBe(true);
    now += 30_000;
    expect(limiter.begin('a').allowed).toBe(true);
  });

  test('forgets addresses whose window is over', () => {
    let now = 0;
    const limiter = new FailedAuthLimiter(5, () => now, 1_000);
    for (let i = 0; i < 100; i++) {
      const v = limiter.begin(`10.0.0.${i}`);
      if (v.allowed) v.attempt.fail();
    }
    expect(limiter.size).toBe(100);
    now = 5_000;
    limiter.begin('10.0.1.1');
    expect(limiter.size).toBe(1);
  });
});
