/**
 * Security end to end on the real servers: deliveries verified by the standardwebhooks package and by our
 * helper, the rotation window, the rate limit, the header rules, and a scan of this run's logs, API responses
 * and Temporal histories for every secret it used.
 */
import { Webhook } from 'standardwebhooks';
import { verifyWebhook } from '../../src';
import { docfloSignature } from '../../src/delivery/signing';
import { capturedLogger } from '../helpers/log-capture';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestEngine, type TestEngine } from '../helpers/engine';
import { historyText } from '../helpers/history';
import { startReceiver, type ReceivedRequest } from '../helpers/receiver';

const { logger, lines: logLines } = capturedLogger();

let t: TestEngine;
let api: TestApi;
beforeAll(async () => {
  t = await startTestEngine({ logger });
  api = await startTestApi(t, { logger });
});
afterAll(async () => {
  await api.close();
  await t.dispose();
});

/** Every secret this file uses; the hygiene scan at the end looks for each. */
const SECRETS = {
  basicPassword: 'hygiene-basic-password-1',
  bearerToken: 'hygiene-bearer-token-2',
  apiKey: 'hygiene-api-key-value-3',
  customSigning: 'hygiene-custom-signing-secret-4',
};
const generated: string[] = [];
const deliveryWorkflows: string[] = [];

async function createWebhook(key: string, url: string, extra: Record<string, unknown>) {
  const res = await api.call<{ id: string }>('POST', '/v1/webhooks', {
    key,
    body: { url, event: 'document.created', ...extra },
  });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function testEvent(
  key: string,
  webhookId: string,
  receiverRequests: ReceivedRequest[],
): Promise<ReceivedRequest> {
  const res = await api.call<{ delivered: boolean; deliveryId: string }>('POST', `/v1/webhooks/${webhookId}/test`, {
    key,
  });
  expect(res.body.delivered).toBe(true);
  const delivery = await t.store.deliveries.findById(res.body.deliveryId);
  if (delivery) deliveryWorkflows.push(delivery.workflowId);
  const req = receiverRequests.find((r) => r.headers['x-docflo-delivery'] === res.body.deliveryId);
  if (!req) throw new Error('the receiver did not get the test event');
  return req;
}

test('deliveries carry Standard Webhooks headers that the standardwebhooks package and our helper verify', async () => {
  const receiver = await startReceiver();
  const { key } = await api.tenant();
  const rotated = await api.call<{ signingSecret: string }>('POST', '/v1/webhooks/x/secret/rotate', { key, body: {} });
  expect(rotated.status).toBe(404);

  // A custom secret: X-Docflo-Signature as on the product page; webhook-signature with the secret's own bytes.
  const customId = await createWebhook(key, receiver.url, {
    signingSecret: SECRETS.customSigning,
    auth: { type: 'apiKey', headerName: 'X-Receiver-Key', key: SECRETS.apiKey },
  });
  const custom = await testEvent(key, customId, receiver.requests);
  expect(custom.headers['webhook-id']).toBe(custom.headers['x-docflo-delivery']);
  expect(Math.abs(Number(custom.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
  expect(new Webhook(SECRETS.customSigning, { format: 'raw' }).verify(custom.rawBody, custom.headers)).toBeDefined();
  expect(verifyWebhook(custom.rawBody, custom.headers, { secrets: SECRETS.customSigning })).toMatchObject({
    ok: true,
    scheme: 'standard-webhooks',
  });
  expect(custom.headers['x-docflo-signature']).toBe(docfloSignature(custom.rawBody, SECRETS.customSigning));

  // A generated whsec_ secret works with the package's default format.
  const generatedId = await createWebhook(key, receiver.url, { auth: { type: 'bearer', token: SECRETS.bearerToken } });
  const { body } = await api.call<{ signingSecret: string }>('POST', `/v1/webhooks/${generatedId}/secret/rotate`, {
    key,
    body: { gracePeriodSeconds: 0 },
  });
  expect(body.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  generated.push(body.signingSecret);
  const req = await testEvent(key, generatedId, receiver.requests);
  expect(new Webhook(body.signingSecret).verify(req.rawBody, req.headers)).toBeDefined();
});

test('during the grace period deliveries verify with the old and the new secret; after it, only with the new', async () => {
  const receiver = await startReceiver();
  const { key } = await api.tenant();
  const oldSecret = 'whsec_' + Buffer.alloc(24, 7).toString('base64');
  generated.push(oldSecret);
  const id = await createWebhook(key, receiver.url, {
    signingSecret: oldSecret,
    auth: { type: 'basic', username: 'u', password: SECRETS.basicPassword },
  });
  const rotated = await api.call<{ signingSecret: string; previousSecretExpiresAt: string }>(
    'POST',
    `/v1/webhooks/${id}/secret/rotate`,
    {
      key,
      body: { gracePeriodSeconds: 3 },
    },
  );
  const newSecret = rotated.body.signingSecret;
  generated.push(newSecret);
  expect(newSecret).not.toBe(oldSecret);
  expect(Date.parse(rotated.body.previousSecretExpiresAt) - Date.now()).toBeLessThanOrEqual(3_000);

  const view = await api.call<{ previousSecretsExpireAt: string[] }>('GET', `/v1/webhooks/${id}`, { key });
  expect(view.body.previousSecretsExpireAt).toEqual([rotated.body.previousSecretExpiresAt]);
  const during = await testEvent(key, id, receiver.requests);
  expect(during.headers['webhook-signature']?.split(' ')).toHaveLength(2);
  expect(new Webhook(oldSecret).verify(during.rawBody, during.headers)).toBeDefined();
  expect(new Webhook(newSecret).verify(during.rawBody, during.headers)).toBeDefined();
  expect(verifyWebhook(during.rawBody, during.headers, { secrets: oldSecret }).ok).toBe(true);
  expect(during.headers['x-docflo-signature']).toBe(docfloSignature(during.rawBody, newSecret));

  await new Promise((r) => setTimeout(r, 3_500));
  expect(
    (await api.call<{ previousSecretsExpireAt: string[] }>('GET', `/v1/webhooks/${id}`, { key })).body
      .previousSecretsExpireAt,
  ).toEqual([]);
  const after = await testEvent(key, id, receiver.requests);
  expect(after.headers['webhook-signature']?.split(' ')).toHaveLength(1);
  expect(() => new Webhook(oldSecret).verify(after.rawBody, after.headers)).toThrow();
  expect(new Webhook(newSecret).verify(after.rawBody, after.headers)).toBeDefined();
  expect(verifyWebhook(after.rawBody, after.headers, { secrets: oldSecret }).ok).toBe(false);

  const tooLong = await api.call('POST', `/v1/webhooks/${id}/secret/rotate`, {
    key,
    body: { gracePeriodSeconds: 8 * 24 * 3600 },
  });
  expect(tooLong.status).toBe(400);
});

test('headers a tenant sets can never be or override the engine headers', async () => {
  const { key } = await api.tenant();
  for (const headerName of [
    'Content-Type',
    'host',
    'X-Docflo-Signature',
    'x-docflo-delivery',
    'Webhook-Signature',
    'user-agent',
  ]) {
    const res = await api.call<{ error: { details: { field: string }[] } }>('POST', '/v1/webhooks', {
      key,
      body: {
        url: 'https://receiver.example.com/',
        event: 'document.created',
        auth: { type: 'apiKey', headerName, key: 'k' },
      },
    });
    expect([headerName, res.status, res.body.error.details[0]?.field]).toEqual([
      headerName,
      400,
      'body.auth.headerName',
    ]);
  }
});

test('a tenant over its rate gets 429 with Retry-After, and other keys are unaffected', async () => {
  const limited = await startTestApi(t, { rateLimitPerMinute: 5 });
  const a = await limited.tenant(); // the admin key's calls count for the admin key only
  const b = await limited.tenant();
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push((await limited.call('GET', '/v1/webhooks', { key: a.key })).status);
  expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  const refused = await limited.call<{ error: { code: string } }>('GET', '/v1/webhooks', { key: a.key });
  expect(refused.body.error.code).toBe('rate_limited');
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  expect((await limited.call('GET', '/v1/webhooks', { key: b.key })).status).toBe(200);
  await limited.close();
});

test("no secret of this run appears in its logs, its API responses or its deliveries' Temporal histories", async () => {
  const histories = await Promise.all(deliveryWorkflows.map((id) => historyText(t.temporal, id)));
  const responses = api.transcript.filter(({ path }) => !path.endsWith('/secret') && !path.endsWith('/secret/rotate'));
  const haystacks: [string, string][] = [
    ['logs', logLines.join('')],
    ['responses', responses.map((r) => r.text).join('\n')],
    ['histories', histories.join('\n')],
  ];
  const secrets = [...Object.values(SECRETS), ...generated];
  const found = haystacks.flatMap(([where, text]) =>
    secrets.filter((s) => text.includes(s)).map((s) => `${where}: ${s}`),
  );
  expect(found).toEqual([]);
  // The scan is not looking at empty text: the run did log, answer and record histories.
  expect(logLines.length).toBeGreaterThan(10);
  expect(histories.length).toBeGreaterThanOrEqual(4);
  expect(haystacks[0]?.[1]).toContain('delivery attempt');
});
