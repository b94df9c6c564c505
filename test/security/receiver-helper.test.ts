/** The receiver helper our users run: constant-time, several secrets, replay window, never throws. */
import express from 'express';
import { Webhook } from 'standardwebhooks';
import { docfloWebhookMiddleware, verifyWebhook } from '../../src';
import { docfloSignature } from '../../src/delivery/signing';
import { generateSigningSecret, standardHeaders } from '../../src/delivery/standard-webhooks';
import { closeServer, listenHttps } from '../helpers/receiver';
import { testEnv } from '../helpers/test-env';
import fs from 'node:fs';
import { Agent, request } from 'undici';

const body = '{"event":"document.processed","tenantId":"t","timestamp":"2025-03-10T17:53:46.000Z","doc":{"_id":"d"}}';
const secret = generateSigningSecret();
const now = 1_800_000_000_000;
const ts = Math.floor(now / 1000);

function signed(secrets = [secret], timestamp = ts): Record<string, string> {
  return {
    ...standardHeaders('dlv_abc', timestamp, body, secrets),
    'x-docflo-signature': docfloSignature(body, secrets[0] ?? ''),
  };
}

describe('verifyWebhook', () => {
  test('accepts a genuine delivery, by its Standard Webhooks headers', () => {
    expect(verifyWebhook(body, signed(), { secrets: secret, now })).toEqual({
      ok: true,
      scheme: 'standard-webhooks',
      deliveryId: 'dlv_abc',
    });
  });

  test('the standardwebhooks package accepts the same headers, for whsec_ and for custom secrets', () => {
    expect(new Webhook(secret).verify(body, signed([secret], Math.floor(Date.now() / 1000)))).toBeDefined();
    const custom = 'my-own-signing-secret-123';
    const headers = standardHeaders('dlv_abc', Math.floor(Date.now() / 1000), body, [custom]);
    expect(new Webhook(custom, { format: 'raw' }).verify(body, headers)).toBeDefined();
  });

  test('refuses a tampered body, a wrong secret and a stale or future timestamp', () => {
    expect(verifyWebhook(body.replace('processed', 'approved'), signed(), { secrets: secret, now })).toMatchObject({
      ok: false,
    });
    expect(verifyWebhook(body, signed(), { secrets: generateSigningSecret(), now })).toMatchObject({
      ok: false,
      reason: 'no webhook-signature matches',
    });
    expect(verifyWebhook(body, signed([secret], ts - 301), { secrets: secret, now })).toMatchObject({
      ok: false,
      reason: /tolerance/,
    });
    expect(verifyWebhook(body, signed([secret], ts + 301), { secrets: secret, now })).toMatchObject({ ok: false });
    expect(verifyWebhook(body, signed([secret], ts - 299), { secrets: secret, now }).ok).toBe(true);
  });

  test('accepts any of several secrets, and any of several signatures (rotation)', () => {
    const old = generateSigningSecret();
    const both = signed([secret, old]);
    expect(verifyWebhook(body, both, { secrets: old, now }).ok).toBe(true);
    expect(verifyWebhook(body, both, { secrets: secret, now }).ok).toBe(true);
    expect(verifyWebhook(body, signed([old]), { secrets: [secret, old], now }).ok).toBe(true);
  });

  test.each<[string, Record<string, string | undefined>]>([
    ['no headers at all', {}],
    ['a missing webhook-signature', { 'webhook-id': 'dlv_abc', 'webhook-timestamp': String(ts) }],
    ['a missing webhook-id', { 'webhook-timestamp': String(ts), 'webhook-signature': 'v1,abc' }],
    ['a malformed timestamp', { 'webhook-id': 'x', 'webhook-timestamp': 'yesterday', 'webhook-signature': 'v1,abc' }],
    ['a signature of another version', { ...signed(), 'webhook-signature': 'v2,abc' }],
    ['a truncated signature', { ...signed(), 'webhook-signature': (signed()['webhook-signature'] ?? '').slice(0, 10) }],
    ['garbage in the signature', { ...signed(), 'webhook-signature': '\u0000\uffff,,,' }],
    ['a truncated X-Docflo-Signature', { 'x-docflo-signature': 'sha256=abc' }],
    ['an empty X-Docflo-Signature', { 'x-docflo-signature': '' }],
  ])('never throws, and says no, on %s', (_name, headers) => {
    expect(() => verifyWebhook(body, headers, { secrets: secret, now })).not.toThrow();
    expect(verifyWebhook(body, headers, { secrets: secret, now }).ok).toBe(false);
  });

  test('X-Docflo-Signature alone is accepted unless Standard Webhooks headers are required', () => {
    const legacy = { 'x-docflo-signature': docfloSignature(body, secret), 'x-docflo-delivery': 'dlv_abc' };
    expect(verifyWebhook(body, legacy, { secrets: secret, now })).toEqual({
      ok: true,
      scheme: 'x-docflo-signature',
      deliveryId: 'dlv_abc',
    });
    expect(verifyWebhook(body, legacy, { secrets: secret, now, allowLegacySignature: false }).ok).toBe(false);
    expect(verifyWebhook(body, legacy, { secrets: [], now }).ok).toBe(false);
  });
});

test('the Express middleware verifies over the raw body and hands the handler the parsed payload', async () => {
  const seen: unknown[] = [];
  const app = express();
  app.post('/hooks', docfloWebhookMiddleware({ secrets: [secret] }), (req, res) => {
    seen.push(req.body);
    res.json({ ok: true });
  });
  const { url, server } = await listenHttps(app);
  const dispatcher = new Agent({ connect: { ca: fs.readFileSync(testEnv().caFile, 'utf8') } });
  const post = async (headers: Record<string, string>) =>
    (
      await request(`${url}/hooks`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...headers },
        dispatcher,
      })
    ).statusCode;
  const fresh = standardHeaders('dlv_1', Math.floor(Date.now() / 1000), body, [secret]);
  expect(await post(fresh)).toBe(200);
  expect(await post({ ...fresh, 'webhook-signature': 'v1,forged' })).toBe(401);
  expect(await post({})).toBe(401);
  expect(seen).toEqual([JSON.parse(body)]);
  await dispatcher.close();
  await closeServer(server);
});
