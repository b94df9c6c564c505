/**
 * An open portal polls the API every few seconds: its successful reads are logged at debug, so `npm run dev`'s
 * log keeps showing what matters (a newcomer found the sample receiver's lines buried under hundreds of them).
 * Its changes, its refusals and every API key's requests stay at info.
 */
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestEngine, type TestEngine } from '../helpers/engine';
import { capturedLogger } from '../helpers/log-capture';
import { portalLink } from '../helpers/portal';

let t: TestEngine;
let api: TestApi;
const logs = capturedLogger('info');
beforeAll(async () => {
  t = await startTestEngine();
  api = await startTestApi(t, { logger: logs.logger });
});
afterAll(async () => {
  await api.close();
  await t.dispose();
});

const accessLines = (path: string, method: string) =>
  logs.lines
    .map((line) => JSON.parse(line) as { msg?: string; req?: { method: string; url: string } })
    .filter((l) => l.msg === 'request completed' && l.req?.url === path && l.req.method === method);

test("a portal session's successful reads are debug lines; its changes and API keys' requests are info", async () => {
  const tenant = await api.tenant();
  const link = await portalLink(api, tenant);
  const opened = await fetch(`${api.url}/portal/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: link.url.split('#')[1] }),
  });
  const me = (await opened.json()) as { csrfToken: string };
  const cookie = (opened.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  expect(cookie).toMatch(/^docflo_portal=/);

  expect((await fetch(`${api.url}/v1/webhooks`, { headers: { cookie } })).status).toBe(200);
  const created = await fetch(`${api.url}/v1/webhooks`, {
    method: 'POST',
    headers: { cookie, 'x-csrf-token': me.csrfToken, 'content-type': 'application/json' },
    body: JSON.stringify({ url: 'https://hooks.example.test/x', event: 'document.created' }),
  });
  expect(created.status).toBe(201);
  await api.call('GET', '/v1/webhooks', { key: tenant.key });

  // One GET by the portal (not logged at info) and one by the API key (logged); the portal's POST is logged.
  expect(accessLines('/v1/webhooks', 'GET')).toHaveLength(1);
  expect(accessLines('/v1/webhooks', 'POST')).toHaveLength(1);
});
