/**
 * DELIVERY_ALLOWED_CIDRS through the production wiring: one setting opens a private range for creating a
 * webhook and for delivering to it, and without it the same URL stays refused. No packet goes to 10.x: the
 * injected dialler records the address the sender vetted and connects to the local receiver instead.
 */
import fs from 'node:fs';
import { buildConnector } from 'undici';
import { startTestApi } from '../helpers/api';
import { eventually, startTestEngine, uniqueId } from '../helpers/engine';
import { startReceiver } from '../helpers/receiver';
import { testEnv } from '../helpers/test-env';

test('with 10.0.0.0/8 allowed, a tenant creates https://10.1.2.3/… and the engine delivers to it; without, 400', async () => {
  const receiver = await startReceiver();
  const receiverPort = new URL(receiver.url).port;
  const connect = buildConnector({ ca: [fs.readFileSync(testEnv().caFile, 'utf8')] });
  const dialled: string[] = [];
  const dial: buildConnector.connector = (opts, callback) => {
    dialled.push(`${opts.hostname}:${opts.port}`);
    connect({ ...opts, hostname: '127.0.0.1', port: receiverPort, servername: undefined }, callback);
  };
  const privateEngine = await startTestEngine({ allowedCidrs: '127.0.0.1/32,10.0.0.0/8', dial });
  const privateApi = await startTestApi(privateEngine, { env: { DELIVERY_ALLOWED_CIDRS: '127.0.0.1/32,10.0.0.0/8' } });
  const publicApi = await startTestApi(privateEngine, { env: { DELIVERY_ALLOWED_CIDRS: '127.0.0.1/32' } });
  try {
    const url = 'https://10.1.2.3:8443/hook';
    const tenant = await privateApi.tenant();
    const refused = await publicApi.call<{ error: { message: string } }>('POST', '/v1/webhooks', {
      key: tenant.key,
      body: { url, event: 'document.approved' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/10\.1\.2\.3 is a private address/);

    const created = await privateApi.call<{ id: string }>('POST', '/v1/webhooks', {
      key: tenant.key,
      body: { url, event: 'document.approved' },
    });
    expect(created.status).toBe(201);
    const moved = await publicApi.call('PATCH', `/v1/webhooks/${created.body.id}`, {
      key: tenant.key,
      body: { url: 'https://10.9.9.9/hook' },
    });
    expect(moved.status).toBe(400);

    const doc = await privateEngine.addDocument(tenant.tenantId);
    const published = await privateApi.call('POST', '/v1/events', {
      key: privateApi.platformKey,
      body: {
        eventId: uniqueId('evt'),
        tenantId: tenant.tenantId,
        event: 'document.approved',
        documentId: String(doc._id),
      },
    });
    expect(published.status).toBe(202);
    await receiver.waitForRequests(1);
    expect(receiver.requests[0]?.path).toBe('/hook');
    expect(dialled).toEqual(['10.1.2.3:8443']);
    await eventually(async () => {
      const [d] = await privateEngine.store.deliveries.listOpenForWebhook(created.body.id);
      return d ? undefined : true;
    });
  } finally {
    await Promise.all([privateApi.close(), publicApi.close()]);
    await privateEngine.dispose();
  }
});
