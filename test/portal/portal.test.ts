/// <reference lib="dom" />
/**
 * The tenant portal in Chromium, on a real engine: endpoints, test events, pause and resume, secret rotation,
 * redelivery and recovery, read-only sessions, spent links, tenant isolation, CSRF, framing, accessibility.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { Browser, Page } from 'playwright-core';
import { docfloSignature } from '../../src/delivery/signing';
import { findFreePort } from '../../src/infra/ports';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestEngine, uniqueId, type TestEngine } from '../helpers/engine';
import {
  launchBrowser,
  openPortal,
  pageFetch,
  pageProblems,
  portalLink,
  screenshot,
  seriousViolations,
} from '../helpers/portal';
import { startReceiver, type Receiver } from '../helpers/receiver';

jest.setTimeout(120_000);

let t: TestEngine;
let api: TestApi;
let browser: Browser;
let hostPage: http.Server;
let hostOrigin: string;
const receivers: Receiver[] = [];

beforeAll(async () => {
  // The page that frames the portal: another origin on loopback, the only one PORTAL_FRAME_ANCESTORS names.
  hostPage = http.createServer((req, res) => {
    const target = new URL(req.url ?? '/', 'http://x').searchParams.get('portal') ?? '';
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end(`<!doctype html><title>host</title><iframe src="${target}"></iframe>`);
  });
  await new Promise<void>((resolve) => hostPage.listen(0, '127.0.0.1', resolve));
  hostOrigin = `http://127.0.0.1:${(hostPage.address() as AddressInfo).port}`;
  t = await startTestEngine({ retrySchedule: [1, 1] });
  api = await startTestApi(t, { env: { PORTAL_FRAME_ANCESTORS: hostOrigin } });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  for (const r of receivers) await r.close();
  await api?.close();
  await t?.dispose();
  hostPage?.close();
});

async function receiver(reply?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(reply);
  receivers.push(r);
  return r;
}

async function webhookFor(
  tenant: { key: string },
  url: string,
  extra: Record<string, unknown> = {},
): Promise<{ id: string }> {
  const res = await api.call<{ id: string }>('POST', '/v1/webhooks', {
    key: tenant.key,
    body: { url, event: 'document.processed', ...extra },
  });
  expect(res.status).toBe(201);
  return res.body;
}

async function publish(tenantId: string): Promise<string> {
  const doc = await t.addDocument(tenantId);
  const eventId = uniqueId('evt');
  const res = await api.call('POST', '/v1/events', {
    key: api.platformKey,
    body: { tenantId, event: 'document.processed', documentId: String(doc._id), eventId },
  });
  expect(res.status).toBe(202);
  return eventId;
}

async function expectAccessible(page: Page): Promise<void> {
  expect(await seriousViolations(page)).toEqual([]);
}

const navigate = (page: Page, name: string) => page.getByRole('navigation').getByRole('link', { name }).click();

describe('the tenant portal', () => {
  test('a tenant creates an endpoint, sends it a test event and sees the attempt, with no credential shown', async () => {
    const tenant = await api.tenant();
    const r = await receiver(() => ({ status: 200, body: '{"received":true}' }));
    const link = await portalLink(api, tenant);
    const { context, page } = await openPortal(browser, link);
    // The link's token is gone from the address bar once spent.
    await expect(page.getByRole('heading', { name: 'Endpoints' })).toBeVisibleSoon();
    expect(page.url()).toBe(`${api.url}/portal/#/endpoints`);
    expect(page.url()).not.toContain(link.url.split('#')[1]);
    await expectAccessible(page);

    await page.getByRole('link', { name: 'Add endpoint' }).click();
    await page.getByLabel('Endpoint URL').fill(r.url);
    await page.getByLabel('Event', { exact: true }).selectOption('document.processed');
    await page.getByLabel('Authorization').selectOption('bearer');
    await page.getByLabel('Token').fill('portal-bearer-never-shown');
    const secret = await page.getByLabel('Signing secret').inputValue();
    expect(secret).toMatch(/^whsec_/);
    await expectAccessible(page);
    await screenshot(page, 'new-endpoint');
    await page.getByRole('button', { name: 'Create endpoint' }).click();

    await expect(page.getByText('Endpoint created')).toBeVisibleSoon();
    await page.getByRole('button', { name: 'Send test event' }).click();
    await expect(page.getByTestId('test-outcome')).toContainTextSoon('Delivered: HTTP 200');
    expect(r.requests).toHaveLength(1);
    const [sent] = r.requests;
    expect(sent?.headers.authorization).toBe('Bearer portal-bearer-never-shown');
    expect(sent?.headers['x-docflo-signature']).toBe(docfloSignature(sent?.rawBody ?? '', secret));
    expect(await page.getByTestId('secret').textContent()).not.toContain(secret);
    // The endpoint's own log shows the test delivery by itself (it refreshes; nothing is reloaded).
    await expect(page.locator('tr[data-delivery] .badge-succeeded')).toHaveCountSoon(1, 15_000);
    await expectAccessible(page);
    await screenshot(page, 'endpoint');

    await page.getByRole('link', { name: 'See the delivery' }).click();
    await expect(page.getByTestId('reason')).toContainTextSoon('succeeded');
    await page.locator('.attempt summary').first().click();
    await expect(page.getByTestId('response-body')).toHaveTextSoon('{"received":true}');
    expect(await page.content()).not.toContain('portal-bearer-never-shown');
    await expectAccessible(page);
    await screenshot(page, 'delivery');
    expect(pageProblems(page)).toEqual([]);
    await context.close();
  });

  test('as the README shows: a retrying delivery waits with its reason while paused, resumes its schedule, and Redeliver now sends it, all without a reload', async () => {
    const tenant = await api.tenant();
    const r = await receiver();
    const nowhere = `https://127.0.0.1:${await findFreePort()}/hooks`;
    // A long retry: resuming picks the schedule up where it was, and Redeliver now sends at once.
    const w = await webhookFor(tenant, nowhere, { retrySchedule: [600, 600] });
    const skippedBefore = await publish(tenant.tenantId);
    const { context, page } = await openPortal(browser, await portalLink(api, tenant));
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    await navigate(page, 'Deliveries');
    await page.locator('tr[data-delivery] a').first().click();
    await expect(page.getByTestId('reason')).toContainTextSoon(
      /^retrying: connection at 127\.0\.0\.1:\d+, attempt 1 of 3, next at/,
    );

    await page.getByRole('link', { name: nowhere }).click();
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect(page.getByTestId('health')).toContainTextSoon('Paused: new events are skipped');
    // Published while paused: recorded as skipped, not sent.
    await publish(tenant.tenantId);
    await navigate(page, 'Deliveries');
    await expect(page.locator('tr[data-delivery] .badge-skipped')).toHaveCountSoon(1);
    await expect(page.locator('tr[data-delivery] .badge-paused')).toHaveCountSoon(1, 20_000);
    await expectAccessible(page);
    await screenshot(page, 'deliveries');
    await page
      .locator('tr[data-delivery]', { has: page.locator('.badge-paused') })
      .locator('a')
      .click();
    await expect(page.getByTestId('reason')).toContainTextSoon(/^paused: webhook inactive since \d\d:\d\dZ/);
    expect(await page.getByRole('button', { name: 'Redeliver now' }).count()).toBe(0);
    await expectAccessible(page);

    await page.getByRole('link', { name: nowhere }).click();
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByLabel('Endpoint URL').fill(r.url);
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByTestId('health')).toContainTextSoon('Paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    await navigate(page, 'Deliveries');
    await page
      .locator('tr[data-delivery]', { has: page.locator('.badge-paused, .badge-retrying') })
      .locator('a')
      .click();
    await expect(page.getByTestId('reason')).toContainTextSoon(/^retrying: .*, next at/);
    expect(r.requests).toHaveLength(0);
    await page.getByRole('button', { name: 'Redeliver now' }).click();
    await expect(page.getByTestId('reason')).toContainTextSoon('succeeded', 30_000);
    expect(r.requests).toHaveLength(1);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect((await api.call(`GET`, `/v1/webhooks/${w.id}`, { key: tenant.key })).body).toMatchObject({
      status: 'active',
    });
    expect(skippedBefore).toMatch(/^evt/);
    await context.close();
  });

  test('rotating the secret signs with the new and the old one during the grace period', async () => {
    const tenant = await api.tenant();
    const r = await receiver();
    const oldSecret = `whsec_${Buffer.from('an-old-secret-of-32-bytes-long!!').toString('base64')}`;
    await webhookFor(tenant, r.url, { signingSecret: oldSecret });
    const { context, page } = await openPortal(browser, await portalLink(api, tenant));
    await page.getByRole('link', { name: r.url }).click();
    await page.getByRole('button', { name: 'Reveal' }).click();
    await expect(page.getByTestId('secret')).toHaveTextSoon(oldSecret);
    await page.getByLabel('Keep signing with the old secret for').selectOption('3600');
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await expect(page.getByRole('dialog')).toContainTextSoon('signed with both secrets for 1 hour');
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Rotate now' }).click();
    await expect(page.getByTestId('new-secret')).toBeVisibleSoon();
    const newSecret = (await page.getByTestId('new-secret').textContent()) ?? '';
    expect(newSecret).toMatch(/^whsec_/);
    await expect(page.getByTestId('grace')).toContainTextSoon('also signed with the previous secret');

    await page.getByRole('button', { name: 'Send test event' }).click();
    await expect(page.getByTestId('test-outcome')).toContainTextSoon('Delivered');
    const [sent] = r.requests;
    if (!sent) throw new Error('nothing received');
    expect(sent.headers['x-docflo-signature']).toBe(docfloSignature(sent.rawBody, newSecret));
    expect(sent.headers['webhook-signature']?.split(' ')).toHaveLength(2);
    for (const secret of [newSecret, oldSecret]) {
      expect(new Webhook(secret).verify(sent.rawBody, sent.headers)).toBeDefined();
    }
    await context.close();
  });

  test('a failed delivery is redelivered from its page, and a range recovered after counting it', async () => {
    const tenant = await api.tenant();
    let healthy = false;
    const r = await receiver(() => (healthy ? { status: 200 } : { status: 500, body: 'down for maintenance' }));
    await webhookFor(tenant, r.url, { retrySchedule: [] });
    for (let i = 0; i < 3; i++) await publish(tenant.tenantId);
    const { context, page } = await openPortal(browser, await portalLink(api, tenant));
    await navigate(page, 'Deliveries');
    await page.getByLabel('Status').selectOption('failed');
    await expect(page.locator('tr[data-delivery]')).toHaveCountSoon(3, 30_000);
    await navigate(page, 'Endpoints');
    await expect(page.locator('td .badge')).toHaveTextSoon('failing');
    await expect(page.locator('td .small')).toContainTextSoon(/^Failing since .*: \d deliveries failed \(HTTP 500\)/);
    await page.goBack();
    await page.locator('tr[data-delivery] a').first().click();
    await page.locator('.attempt summary').first().click();
    await expect(page.getByTestId('response-body')).toHaveTextSoon('down for maintenance');

    healthy = true;
    await page.getByRole('button', { name: 'Redeliver now' }).click();
    await expect(page.getByTestId('redeliver-outcome')).toContainTextSoon('Attempt 2: delivered, HTTP 200');
    await expect(page.getByTestId('reason')).toContainTextSoon('succeeded');

    await page.getByRole('link', { name: r.url }).click();
    await page.getByRole('button', { name: 'Count' }).click();
    await expect(page.getByTestId('recover-preview')).toHaveTextSoon('2 deliveries will be re-sent.');
    expect(r.requests).toHaveLength(4);
    await page.getByRole('button', { name: 'Re-send 2' }).click();
    await expect(page.getByText('Queued 2 for re-sending')).toBeVisibleSoon();
    await r.waitForRequests(6);
    await expect(page.locator('tr[data-delivery] .badge-succeeded')).toHaveCountSoon(3, 30_000);
    await context.close();
  });

  test('a read-only session has no write control, and the API refuses its changes', async () => {
    const tenant = await api.tenant();
    const r = await receiver();
    const w = await webhookFor(tenant, r.url, { signingSecret: 'a-signing-secret-nobody-reads' });
    await publish(tenant.tenantId);
    await r.waitForRequests(1);
    const { context, page } = await openPortal(browser, await portalLink(api, tenant, { capabilities: [] }));
    await expect(page.getByText('read only')).toBeVisibleSoon();
    await expect(page.getByRole('link', { name: r.url })).toBeVisibleSoon();
    expect(await page.getByRole('link', { name: 'Add endpoint' }).count()).toBe(0);
    await page.getByRole('link', { name: r.url }).click();
    await expect(page.getByTestId('health')).toContainTextSoon('Active');
    await expectAccessible(page);
    for (const name of ['Pause', 'Delete', 'Reveal', 'Rotate secret', 'Send test event', 'Count']) {
      expect(await page.getByRole('button', { name }).count()).toBe(0);
    }
    expect(await page.getByRole('link', { name: 'Edit' }).count()).toBe(0);
    await page.goto(`${api.url}/portal/#/endpoints/new`);
    await expect(page.getByText('This session is read only')).toBeVisibleSoon();
    await page.goto(`${api.url}/portal/#/endpoints/${w.id}`);
    await page.locator('tr[data-delivery] a').first().click();
    await expect(page.getByTestId('reason')).toContainTextSoon('succeeded');
    expect(await page.getByRole('button', { name: 'Redeliver now' }).count()).toBe(0);

    const deliveryId = page.url().split('/').pop() ?? '';
    const refused = [
      await pageFetch(page, 'POST', '/v1/webhooks', { url: r.url, event: 'document.created' }),
      await pageFetch(page, 'PATCH', `/v1/webhooks/${w.id}`, { status: 'inactive' }),
      await pageFetch(page, 'DELETE', `/v1/webhooks/${w.id}`),
      await pageFetch(page, 'GET', `/v1/webhooks/${w.id}/secret`),
      await pageFetch(page, 'POST', `/v1/webhooks/${w.id}/secret/rotate`, {}),
      await pageFetch(page, 'POST', `/v1/webhooks/${w.id}/test`),
      await pageFetch(page, 'POST', `/v1/deliveries/${deliveryId}/redeliver`),
      await pageFetch(page, 'POST', `/v1/tenants/${tenant.tenantId}/portal-sessions`, {}),
    ];
    expect(refused.map((x) => x.status)).toEqual(Array(refused.length).fill(403));
    expect(r.requests).toHaveLength(1);
    expect((await api.call('GET', `/v1/webhooks/${w.id}`, { key: tenant.key })).body).toMatchObject({
      status: 'active',
    });
    await context.close();

    // Managing without view_secrets: a rotation's new secret comes back masked, and reveal is refused.
    const manage = await openPortal(browser, await portalLink(api, tenant, { capabilities: ['manage_endpoints'] }));
    await expect(manage.page.getByRole('link', { name: 'Add endpoint' })).toBeVisibleSoon();
    const rotated = await pageFetch(manage.page, 'POST', `/v1/webhooks/${w.id}/secret/rotate`, {});
    expect(rotated.status).toBe(200);
    expect(rotated.body.signingSecret).toMatch(/^\*\*\*\*/);
    expect((await pageFetch(manage.page, 'GET', `/v1/webhooks/${w.id}/secret`)).status).toBe(403);
    await manage.context.close();
  });

  test('a used, expired or revoked link is refused, and a revoked session ends', async () => {
    const tenant = await api.tenant();
    const used = await portalLink(api, tenant);
    const first = await openPortal(browser, used);
    await expect(first.page.getByRole('heading', { name: 'Endpoints' })).toBeVisibleSoon();
    const again = await openPortal(browser, used);
    await expect(again.page.getByText('This link was already used, has expired or was revoked')).toBeVisibleSoon();
    await expectAccessible(again.page);
    await again.context.close();

    const expired = await portalLink(api, tenant);
    await t.db.collection('portal_sessions').updateOne({ _id: expired.id } as never, {
      $set: { linkExpiresAt: new Date(Date.now() - 1000) },
    });
    const late = await openPortal(browser, expired);
    await expect(late.page.getByText('This link was already used, has expired or was revoked')).toBeVisibleSoon();
    await late.context.close();

    // Another site cannot sign a browser in to a session of its choosing: the link stays unspent.
    const planted = await portalLink(api, tenant);
    const token = planted.url.split('#')[1] ?? '';
    const crossSite = await api.call('POST', '/portal/api/session', {
      body: { token },
      headers: { origin: 'https://evil.example.test', 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.status).toBe(403);
    const own = await openPortal(browser, planted);
    await expect(own.page.getByRole('heading', { name: 'Endpoints' })).toBeVisibleSoon();
    await own.context.close();

    const revoked = await portalLink(api, tenant);
    const revoke = await api.call('DELETE', `/v1/tenants/${tenant.tenantId}/portal-sessions/${revoked.id}`, {
      key: api.adminKey,
    });
    expect(revoke.status).toBe(204);
    const refused = await openPortal(browser, revoked);
    await expect(refused.page.getByText('This link was already used, has expired or was revoked')).toBeVisibleSoon();
    await refused.context.close();

    // The tenant's open sessions are listed (the used link's among them, opened), the revoked one is not.
    const open = await api.call<{ data: { id: string; openedAt: string | null }[] }>(
      'GET',
      `/v1/tenants/${tenant.tenantId}/portal-sessions`,
      { key: tenant.key },
    );
    expect(open.body.data.find((x) => x.id === used.id)?.openedAt).toEqual(expect.any(String));
    expect(open.body.data.map((x) => x.id)).not.toContain(revoked.id);

    // A session past its end is refused at its next request.
    const lapsing = await portalLink(api, tenant);
    const lapsed = await openPortal(browser, lapsing);
    await expect(lapsed.page.getByRole('heading', { name: 'Endpoints' })).toBeVisibleSoon();
    await t.db.collection('portal_sessions').updateOne({ _id: lapsing.id } as never, {
      $set: { expiresAt: new Date(Date.now() - 1000) },
    });
    // Its next request (a poll, or this move) is refused and the page says so.
    await lapsed.page.evaluate(() => (location.hash = '#/deliveries'));
    await expect(lapsed.page.getByText('Your session has ended')).toBeVisibleSoon();
    await lapsed.context.close();

    // Every session of the tenant revoked: the open portal ends at its next request.
    const all = await api.call<{ revoked: number }>('DELETE', `/v1/tenants/${tenant.tenantId}/portal-sessions`, {
      key: tenant.key,
    });
    expect(all.body.revoked).toBeGreaterThanOrEqual(1);
    await first.page.evaluate(() => (location.hash = '#/deliveries'));
    await expect(first.page.getByText('Your session has ended')).toBeVisibleSoon();
    await first.context.close();
  });

  test("tenant A's session gets 404 for every one of tenant B's endpoints, deliveries, events and secrets", async () => {
    const a = await api.tenant();
    const b = await api.tenant();
    const r = await receiver();
    const bHook = await webhookFor(b, r.url, { signingSecret: 'tenant-b-secret-never-leaks' });
    const bEvent = await publish(b.tenantId);
    await r.waitForRequests(1);
    const bDelivery = r.requests[0]?.headers['x-docflo-delivery'] ?? '';
    expect(bDelivery).not.toBe('');

    const { context, page } = await openPortal(browser, await portalLink(api, a));
    await expect(page.getByRole('heading', { name: 'Endpoints' })).toBeVisibleSoon();
    await page.goto(`${api.url}/portal/#/endpoints/${bHook.id}`);
    await expect(page.getByText('webhook not found')).toBeVisibleSoon();
    await page.goto(`${api.url}/portal/#/deliveries/${bDelivery}`);
    await expect(page.getByText('delivery not found')).toBeVisibleSoon();

    const attempts = [
      ['GET', `/v1/webhooks/${bHook.id}`],
      ['GET', `/v1/webhooks/${bHook.id}/secret`],
      ['GET', `/v1/webhooks/${bHook.id}/deliveries`],
      ['PATCH', `/v1/webhooks/${bHook.id}`, { url: r.url.replace('/hooks', '/stolen') }],
      ['DELETE', `/v1/webhooks/${bHook.id}`],
      ['POST', `/v1/webhooks/${bHook.id}/test`],
      ['POST', `/v1/webhooks/${bHook.id}/secret/rotate`, {}],
      ['POST', `/v1/webhooks/${bHook.id}/recover`, { since: new Date(Date.now() - 3600_000).toISOString() }],
      ['GET', `/v1/deliveries/${bDelivery}`],
      ['POST', `/v1/deliveries/${bDelivery}/redeliver`],
      ['GET', `/v1/events/${bEvent}`],
    ] as const;
    for (const [method, url, body] of attempts) {
      const res = await pageFetch(page, method, url, body);
      expect({ method, url, status: res.status }).toEqual({ method, url, status: 404 });
      expect(JSON.stringify(res.body)).not.toContain('tenant-b-secret-never-leaks');
    }
    const listed = await pageFetch(page, 'GET', `/v1/deliveries?webhookId=${bHook.id}`);
    expect(listed.body.data).toEqual([]);
    // A body naming tenant B is not a way in either: it is refused, and nothing is made.
    const smuggled = await pageFetch(page, 'POST', '/v1/webhooks', {
      url: r.url,
      event: 'document.processed',
      tenantId: b.tenantId,
    });
    expect(smuggled.status).toBe(400);
    const bHooks = await api.call<{ data: unknown[] }>('GET', '/v1/webhooks', { key: b.key });
    expect(bHooks.body.data).toHaveLength(1);
    expect(r.requests).toHaveLength(1);
    await context.close();
  });

  test('state changes need the CSRF token from this origin; the page is framed only where allowed', async () => {
    const tenant = await api.tenant();
    const { context, page } = await openPortal(browser, await portalLink(api, tenant));
    await expect(page.getByRole('heading', { name: 'Endpoints' })).toBeVisibleSoon();
    const cookie = (await context.cookies()).find((c) => c.name === 'docflo_portal');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    const csrf = (await pageFetch(page, 'GET', '/portal/api/session')).body.csrfToken as string;
    const post = (headers: Record<string, string>) =>
      fetch(`${api.url}/v1/webhooks`, {
        method: 'POST',
        headers: { cookie: `docflo_portal=${cookie?.value}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ url: 'https://hooks.example.test/x', event: 'document.created' }),
      });
    expect((await post({})).status).toBe(403);
    expect((await post({ 'x-csrf-token': 'wrong' })).status).toBe(403);
    expect((await post({ 'x-csrf-token': csrf, origin: 'https://evil.example.test' })).status).toBe(403);
    expect((await post({ 'x-csrf-token': csrf, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await post({ 'x-csrf-token': csrf, origin: api.url })).status).toBe(201);

    const headers = (await fetch(`${api.url}/portal/`)).headers;
    const csp = headers.get('content-security-policy') ?? '';
    expect(csp).toContain(`frame-ancestors ${hostOrigin}`);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(headers.get('x-frame-options')).toBeNull();
    const other = await startTestApi(t);
    try {
      const closed = (await fetch(`${other.url}/portal/`)).headers;
      expect(closed.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(closed.get('x-frame-options')).toBe('DENY');
      // In the browser: the named origin shows the portal in its iframe (signed in: the cookie is the same
      // site's, loopback), while the other API's portal, which names no origin, stays blank.
      for (const [portal, shown] of [
        [api.url, true],
        [other.url, false],
      ] as const) {
        const host = await context.newPage();
        await host.goto(`${hostOrigin}/?portal=${encodeURIComponent(`${portal}/portal/`)}`);
        const app = host.frameLocator('iframe').locator('#app main');
        if (shown) await expect(app).toBeVisibleSoon();
        else {
          await host.waitForTimeout(1500);
          expect(await app.count()).toBe(0);
        }
        await host.close();
      }
    } finally {
      await other.close();
    }
    await context.close();
  });

  test('the event catalogue shows each type with its schema and example, and sends a test from it', async () => {
    const tenant = await api.tenant();
    const r = await receiver();
    await webhookFor(tenant, r.url);
    const { context, page } = await openPortal(browser, await portalLink(api, tenant));
    await navigate(page, 'Event types');
    const processed = page.getByRole('article', { name: 'document.processed' });
    await processed.getByText('Example body').click();
    await expect(processed.locator('pre').first()).toContainTextSoon('"InvoiceId": "INV-2025-001"');
    await processed.getByText('JSON Schema').click();
    await expect(processed.locator('pre').nth(1)).toContainTextSoon('"$schema"');
    await processed.getByRole('button', { name: 'Send test event' }).click();
    await expect(processed.getByTestId('test-outcome')).toContainTextSoon('Delivered: HTTP 200');
    expect(JSON.parse(r.requests[0]?.rawBody ?? '{}')).toMatchObject({ event: 'document.processed' });
    await expectAccessible(page);
    await screenshot(page, 'event-types');
    await context.close();
  });

  test("an endpoint is edited and deleted; the session's theme is applied", async () => {
    const tenant = await api.tenant();
    const r = await receiver();
    const w = await webhookFor(tenant, r.url, {
      auth: { type: 'basic', username: 'erp', password: 'basic-pass-never-shown' },
    });
    const link = await portalLink(api, tenant, {
      capabilities: ['manage_endpoints'],
      theme: { accentColor: '#7a1fa2', mode: 'dark' },
    });
    const { context, page } = await openPortal(browser, link);
    await expect(page.getByRole('heading', { name: 'Endpoints' })).toBeVisibleSoon();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    const accent = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--accent'));
    expect(accent.trim()).toBe('#7a1fa2');
    await expectAccessible(page);

    await page.getByRole('link', { name: r.url }).click();
    await page.getByRole('link', { name: 'Edit' }).click();
    await expect(page.getByLabel('Username')).toHaveValueSoon('erp');
    await page.getByLabel('Event', { exact: true }).selectOption('document.approved');
    await page.getByLabel('Retry schedule (seconds between attempts)').fill('10, 60');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByTestId('health')).toBeVisibleSoon();
    const edited = await api.call<Record<string, unknown>>('GET', `/v1/webhooks/${w.id}`, { key: tenant.key });
    // The password was left empty: it is kept, not replaced.
    expect(edited.body).toMatchObject({
      event: 'document.approved',
      retrySchedule: [10, 60],
      auth: { type: 'basic', username: 'erp' },
    });
    expect(await page.content()).not.toContain('basic-pass-never-shown');

    // An invalid edit is refused with the field's reason, and changes nothing.
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByLabel('Endpoint URL').fill('http://plain.example.test/hooks');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.locator('#url-error')).toContainTextSoon('use https://');
    await page.getByRole('link', { name: 'Cancel' }).click();

    await page.getByRole('button', { name: 'Delete' }).click();
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Delete endpoint' }).click();
    await expect(page.getByText('No endpoints yet.')).toBeVisibleSoon();
    expect((await api.call('GET', `/v1/webhooks/${w.id}`, { key: tenant.key })).status).toBe(404);
    await context.close();
  });

  test('a new page moves the focus to its content before anyone can type in it, never after', async () => {
    const tenant = await api.tenant();
    const { context, page } = await openPortal(browser, await portalLink(api, tenant));
    await expect(page.getByRole('link', { name: 'Add endpoint' })).toBeVisibleSoon();
    // The quickest user there is: the URL field gets the focus the moment it is in the page (a mutation observer
    // runs before the next frame), and types there. The page's own move of the focus must already be done by then.
    await page.evaluate(() => {
      new MutationObserver((_, observer) => {
        const url = document.getElementById('url');
        if (!url) return;
        observer.disconnect();
        url.focus();
      }).observe(document.body, { childList: true, subtree: true });
    });
    await page.getByRole('link', { name: 'Add endpoint' }).click();
    await expect(page.getByLabel('Endpoint URL')).toBeFocusedSoon();
    // Two frames and a turn: what runs "after paint" has run.
    await page.evaluate(
      () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, 50)))),
    );
    const focused = await page.evaluate(() => document.activeElement?.id ?? document.activeElement?.tagName);
    expect(focused).toBe('url');
    await context.close();
  });

  test('an address changed the moment the portal appears is followed, not missed', async () => {
    const tenant = await api.tenant();
    const link = await portalLink(api, tenant);
    const context = await browser.newContext();
    const page = await context.newPage();
    // The quickest reader there is: the moment the endpoints page is in the document (a mutation observer runs
    // before the next frame), the address moves to the event types, as a link opened by a script would.
    await page.addInitScript(() => {
      addEventListener('DOMContentLoaded', () => {
        new MutationObserver((_, observer) => {
          if (!document.getElementById('endpoints-title')) return;
          observer.disconnect();
          location.hash = '#/event-types';
        }).observe(document.body, { childList: true, subtree: true });
      });
    });
    await page.goto(link.url);
    await expect(page.getByRole('heading', { level: 1, name: 'Event types' })).toBeVisibleSoon();
    await context.close();
  });

  test('works at 375 px wide and with the keyboard alone', async () => {
    const tenant = await api.tenant();
    const r = await receiver();
    await webhookFor(tenant, r.url, { signingSecret: `whsec_${Buffer.from('k'.repeat(32)).toString('base64')}` });
    await publish(tenant.tenantId);
    await r.waitForRequests(1);
    const { context, page } = await openPortal(browser, await portalLink(api, tenant), { width: 375, height: 800 });
    // Whether the page fits the width, else what sticks out.
    const fits = () =>
      page.evaluate(() => {
        if (document.documentElement.scrollWidth <= window.innerWidth) return true;
        return Array.from(document.querySelectorAll('body *'))
          .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
          .map((el) => `${el.tagName}.${el.className}`)
          .slice(0, 8)
          .join(' ');
      });
    for (const name of ['Endpoints', 'Deliveries', 'Event types']) {
      await navigate(page, name);
      await expect(page.getByRole('heading', { level: 1, name })).toBeVisibleSoon();
      expect({ name, fits: await fits() }).toEqual({ name, fits: true });
      await expectAccessible(page);
    }
    await navigate(page, 'Endpoints');
    await page.getByRole('link', { name: r.url }).click();
    await expect(page.getByTestId('health')).toBeVisibleSoon();
    await page.getByRole('button', { name: 'Reveal' }).click();
    await expect(page.getByTestId('secret')).toContainTextSoon('whsec_');
    await expect(page.locator('tr[data-delivery]')).toHaveCountSoon(1);
    expect(await fits()).toBe(true);
    await screenshot(page, 'mobile-endpoint');

    // Keyboard: from the top of the page, Tab reaches "Add endpoint", Enter opens the form, and the form is filled
    // and submitted without a pointer.
    await page.goto(`${api.url}/portal/#/endpoints`);
    await page.reload();
    await expect(page.getByRole('link', { name: 'Add endpoint' })).toBeVisibleSoon();
    await page.keyboard.press('Tab');
    await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocusedSoon();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    await expect(page.getByRole('link', { name: 'Add endpoint' })).toBeFocusedSoon();
    await page.keyboard.press('Enter');
    await expect(page.getByLabel('Endpoint URL')).toBeVisibleSoon();
    await page.getByLabel('Endpoint URL').focus();
    await page.keyboard.type(r.url.replace('/hooks', '/keyboard'));
    // What was typed went into the field (a focus moved after paint once sent it nowhere: see the test above).
    expect(await page.getByLabel('Endpoint URL').inputValue()).toBe(r.url.replace('/hooks', '/keyboard'));
    await page.keyboard.press('Enter');
    await expect(page.getByText('Endpoint created')).toBeVisibleSoon();
    await context.close();
  });
});
