/**
 * A published event's occurredAt must lie within a window around the server's clock (default 7 days before
 * to 5 minutes after), configurable; outside it the publish is a 400 naming the field and nothing is stored.
 */
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestEngine, uniqueId, type TestEngine } from '../helpers/engine';
import { storeSnapshot } from '../helpers/state';

let t: TestEngine;
let api: TestApi;
beforeAll(async () => {
  t = await startTestEngine();
  api = await startTestApi(t);
  // An accepted publish needs its tenant and document (else 404): the window is what is tested here.
  await t.addDocument('tenant-window', { _id: 'doc-1' });
});
afterAll(async () => {
  await api.close();
  await t.dispose();
});

const DAY = 24 * 3600 * 1000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

async function publish(target: TestApi, occurredAt: string) {
  return target.call<{ eventId: string; error: { message: string; details: { field: string }[] } }>(
    'POST',
    '/v1/events',
    {
      key: target.platformKey,
      body: {
        eventId: uniqueId('evt'),
        tenantId: 'tenant-window',
        event: 'document.processed',
        documentId: 'doc-1',
        occurredAt,
      },
    },
  );
}

test('by default, 1970, 2999, eight days ago and ten minutes ahead are refused, and nothing is stored', async () => {
  const before = await storeSnapshot(t.db);
  for (const occurredAt of [
    '1970-01-01T00:00:00Z',
    '2999-01-01T00:00:00Z',
    ago(8 * DAY),
    ago(-10 * 60 * 1000),
    '2024-01-01T00:00:00+14:00',
  ]) {
    const res = await publish(api, occurredAt);
    expect([occurredAt, res.status, res.body.error?.details.map((d) => d.field)]).toEqual([
      occurredAt,
      400,
      ['body.occurredAt'],
    ]);
    expect(res.body.error.message).toMatch(/between 7 days before and 5 minutes after the server's clock/);
  }
  expect(await storeSnapshot(t.db)).toEqual(before);
});

test('by default, six days ago, now and four minutes ahead are accepted', async () => {
  for (const occurredAt of [ago(6 * DAY), ago(0), ago(-4 * 60 * 1000)]) {
    expect([occurredAt, (await publish(api, occurredAt)).status]).toEqual([occurredAt, 202]);
  }
});

test('the window is configurable', async () => {
  const strict = await startTestApi(t, {
    env: { EVENT_OCCURRED_AT_MAX_AGE_SECONDS: '60', EVENT_OCCURRED_AT_MAX_FUTURE_SECONDS: '0' },
  });
  try {
    const old = await publish(strict, ago(2 * 60 * 1000));
    expect(old.status).toBe(400);
    expect(old.body.error.message).toMatch(/between 1 minute before and 0 seconds after/);
    expect((await publish(strict, ago(-30 * 1000))).status).toBe(400);
    expect((await publish(strict, ago(10 * 1000))).status).toBe(202);
  } finally {
    await strict.close();
  }
  const wide = await startTestApi(t, { env: { EVENT_OCCURRED_AT_MAX_AGE_SECONDS: String(30 * 24 * 3600) } });
  try {
    expect((await publish(wide, ago(20 * DAY))).status).toBe(202);
  } finally {
    await wide.close();
  }
});

test('an event ID starting with test_ is refused (reserved for test events, which reach inactive webhooks)', async () => {
  const res = await api.call<{ error: { details: { field: string; message: string }[] } }>('POST', '/v1/events', {
    key: api.platformKey,
    body: { eventId: 'test_123', tenantId: 'tenant-window', event: 'document.processed', documentId: 'doc-1' },
  });
  expect(res.status).toBe(400);
  expect(res.body.error.details).toEqual([
    expect.objectContaining({ field: 'body.eventId', message: expect.stringMatching(/test_/) as unknown }),
  ]);
  // Nothing stored for it (the earlier tests' events may still be settling: only this one is looked at).
  expect(await t.store.events.findByKey('tenant-window:test_123')).toBeNull();
});
