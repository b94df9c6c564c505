/**
 * Finding a tenant's deliveries and events (issue 18, "Find anything"): every filter of GET /v1/deliveries and
 * GET /v1/events, alone and together, against a seeded set in the real store; cursor pages with no gap or
 * repeat while new deliveries arrive; other tenants see nothing; and a delivery the engine made is found by
 * its document.
 */
import { startTestApi, type TestApi } from '../helpers/api';
import { eventually, startTestEngine, uniqueId, type TestEngine } from '../helpers/engine';
import { startReceiver } from '../helpers/receiver';
import { DELIVERY_STATUSES, type DeliveryRecord, type EventRecord, type PlatformEvent } from '../../src/store/model';

let t: TestEngine;
let api: TestApi;
beforeAll(async () => {
  t = await startTestEngine();
  api = await startTestApi(t);
});
afterAll(async () => {
  await api.close();
  await t.dispose();
});

const TYPES: PlatformEvent[] = ['document.created', 'document.processed', 'document.approved'];
const START = Date.parse('2026-01-01T00:00:00Z');

interface Listed {
  id: string;
  webhookId: string;
  eventId: string;
  event: string;
  documentId: string | null;
  status: string;
  createdAt: string;
}
interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/**
 * A tenant's seeded events and deliveries, written to the store as dispatch writes them: 12 events over 3
 * types and 4 documents, each delivered to 2 or 3 of 3 webhooks, statuses spread over all eight, several
 * records sharing one creation time (the cursor must break ties by ID).
 */
async function seed(tenantId: string) {
  const webhooks = [uniqueId('wh'), uniqueId('wh'), uniqueId('wh')];
  const events: EventRecord[] = [];
  const deliveries: DeliveryRecord[] = [];
  for (let i = 0; i < 12; i++) {
    const eventId = `evt_${i}_${uniqueId('s')}`;
    const at = new Date(START + Math.floor(i / 2) * 60_000);
    const event = TYPES[i % TYPES.length];
    const documentId = `doc_${i % 4}`;
    events.push({
      _id: `${tenantId}:${eventId}`,
      tenantId,
      eventId,
      event,
      documentId,
      occurredAt: at,
      status: 'dispatched',
      body: '{}',
      createdAt: at,
      updatedAt: at,
    });
    webhooks.slice(0, 2 + (i % 2)).forEach((webhookId, w) => {
      deliveries.push({
        _id: `dlv_${i}_${w}_${tenantId}`,
        tenantId,
        webhookId,
        eventKey: `${tenantId}:${eventId}`,
        eventId,
        event,
        documentId,
        workflowId: `delivery:${webhookId}:${eventId}`,
        status: DELIVERY_STATUSES[(i + w) % DELIVERY_STATUSES.length] ?? 'pending',
        attemptCount: 1,
        createdAt: at,
        updatedAt: at,
      });
    });
  }
  for (const e of events) await t.store.events.insert(e);
  await t.store.deliveries.insertAbsent(deliveries);
  return { webhooks, events, deliveries };
}

const newestFirst = <T extends { _id: string; createdAt: Date }>(a: T, b: T) =>
  b.createdAt.getTime() - a.createdAt.getTime() || (a._id < b._id ? 1 : a._id > b._id ? -1 : 0);

/** Every page of a listing, following its cursors; each page checked to be at most `limit` long. */
async function everyPage<T>(key: string, path: string, query: Record<string, string>, limit = 3): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const params: URLSearchParams = new URLSearchParams({
      ...query,
      limit: String(limit),
      ...(cursor ? { cursor } : {}),
    });
    const res: { status: number; body: Page<T> } = await api.call<Page<T>>('GET', `${path}?${params.toString()}`, {
      key,
    });
    expect(res.status).toBe(200);
    expect(res.body.data.length).toBeLessThanOrEqual(limit);
    items.push(...res.body.data);
    cursor = res.body.nextCursor;
    if (!cursor) return items;
  }
  throw new Error('more than 100 pages');
}

test('GET /v1/deliveries: every combination of its filters finds exactly the matching deliveries, newest first, across pages', async () => {
  const { tenantId, key } = await api.tenant();
  const { deliveries } = await seed(tenantId);
  const filters = ['status', 'webhookId', 'event', 'eventId', 'documentId', 'time'] as const;
  let checked = 0;
  for (let mask = 0; mask < 1 << filters.length; mask++) {
    // Values taken from one seeded delivery, so every combination matches at least that one.
    const from = deliveries[(mask * 7) % deliveries.length];
    const query: Record<string, string> = {};
    const on = (name: (typeof filters)[number]) => (mask & (1 << filters.indexOf(name))) !== 0;
    if (on('status')) query.status = from.status;
    if (on('webhookId')) query.webhookId = from.webhookId;
    if (on('event')) query.event = from.event;
    if (on('eventId')) query.eventId = from.eventId;
    if (on('documentId')) query.documentId = from.documentId ?? '';
    const since = new Date(from.createdAt.getTime() - 60_000);
    const until = new Date(from.createdAt.getTime() + 60_000);
    if (on('time')) Object.assign(query, { since: since.toISOString(), until: until.toISOString() });
    const expected = deliveries
      .filter(
        (d) =>
          (!on('status') || d.status === from.status) &&
          (!on('webhookId') || d.webhookId === from.webhookId) &&
          (!on('event') || d.event === from.event) &&
          (!on('eventId') || d.eventId === from.eventId) &&
          (!on('documentId') || d.documentId === from.documentId) &&
          (!on('time') || (d.createdAt >= since && d.createdAt < until)),
      )
      .sort(newestFirst)
      .map((d) => d._id);
    const found = await everyPage<Listed>(key, '/v1/deliveries', query);
    expect({ query, ids: found.map((d) => d.id) }).toEqual({ query, ids: expected });
    checked++;
  }
  expect(checked).toBe(64);
}, 120_000);

test('cursor pages have no gap and no repeat while new deliveries arrive between them', async () => {
  const { tenantId, key } = await api.tenant();
  const { deliveries } = await seed(tenantId);
  const seen: string[] = [];
  let cursor: string | null = null;
  let arrivals = 0;
  do {
    const params: URLSearchParams = new URLSearchParams({ limit: '4', ...(cursor ? { cursor } : {}) });
    const res: { status: number; body: Page<Listed> } = await api.call<Page<Listed>>(
      'GET',
      `/v1/deliveries?${params.toString()}`,
      { key },
    );
    expect(res.status).toBe(200);
    seen.push(...res.body.data.map((d) => d.id));
    cursor = res.body.nextCursor;
    // A delivery arrives between pages (newer than any listed): it belongs before the first page, not in a later one.
    const at = new Date();
    await t.store.deliveries.insertAbsent([
      { ...deliveries[0], _id: `dlv_new_${arrivals++}_${tenantId}`, createdAt: at, updatedAt: at },
    ]);
  } while (cursor);
  expect(seen).toEqual([...deliveries].sort(newestFirst).map((d) => d._id));
  expect(new Set(seen).size).toBe(seen.length);
  // The new ones are found from the top.
  const top = await api.call<Page<Listed>>('GET', `/v1/deliveries?limit=${arrivals}`, { key });
  expect(top.body.data.map((d) => d.id).sort()).toEqual(
    Array.from({ length: arrivals }, (_, i) => `dlv_new_${i}_${tenantId}`).sort(),
  );
});

test('GET /v1/events: by type, document and time, newest first, with its deliveries counted by status', async () => {
  const { tenantId, key } = await api.tenant();
  const { events, deliveries } = await seed(tenantId);
  const countsOf = (eventId: string) => {
    const counts: Record<string, number> = {};
    for (const d of deliveries.filter((x) => x.eventId === eventId)) counts[d.status] = (counts[d.status] ?? 0) + 1;
    return counts;
  };
  const cases: [Record<string, string>, (e: EventRecord) => boolean][] = [
    [{}, () => true],
    [{ event: 'document.processed' }, (e) => e.event === 'document.processed'],
    [{ documentId: 'doc_1' }, (e) => e.documentId === 'doc_1'],
    [
      { event: 'document.created', documentId: 'doc_0', until: new Date(START + 4 * 60_000).toISOString() },
      (e) => e.event === 'document.created' && e.documentId === 'doc_0' && e.createdAt.getTime() < START + 4 * 60_000,
    ],
    [{ since: new Date(START + 2 * 60_000).toISOString() }, (e) => e.createdAt.getTime() >= START + 2 * 60_000],
  ];
  for (const [query, match] of cases) {
    const found = await everyPage<{ id: string; deliveries: Record<string, number>; documentId: string }>(
      key,
      '/v1/events',
      query,
      5,
    );
    const expected = events.filter(match).sort(newestFirst);
    expect({ query, found: found.map((e) => [e.id, e.deliveries]) }).toEqual({
      query,
      found: expected.map((e) => [e.eventId, countsOf(e.eventId)]),
    });
  }
});

test('another tenant finds none of them, whatever it filters by; bad filters are a 400 naming the field', async () => {
  const a = await api.tenant();
  const b = await api.tenant();
  const { deliveries } = await seed(a.tenantId);
  const one = deliveries[3];
  for (const query of [
    {} as Record<string, string>,
    { webhookId: one.webhookId },
    { eventId: one.eventId },
    { documentId: one.documentId ?? '' },
    { status: one.status, event: one.event },
  ]) {
    const params = new URLSearchParams(query).toString();
    const res = await api.call<Page<Listed>>('GET', `/v1/deliveries?${params}`, { key: b.key });
    expect({ query, status: res.status, data: res.body.data }).toEqual({ query, status: 200, data: [] });
  }
  const events = await api.call<Page<unknown>>('GET', `/v1/events?documentId=${one.documentId ?? ''}`, { key: b.key });
  expect(events.body.data).toEqual([]);
  // A's cursor does not open A's records to B either: it only names a position.
  const first = await api.call<Page<Listed>>('GET', '/v1/deliveries?limit=2', { key: a.key });
  const next = await api.call<Page<Listed>>('GET', `/v1/deliveries?cursor=${first.body.nextCursor ?? ''}`, {
    key: b.key,
  });
  expect(next.body.data).toEqual([]);

  for (const [path, field] of [
    ['/v1/deliveries?status=lost', 'query.status'],
    ['/v1/deliveries?event=document.deleted', 'query.event'],
    ['/v1/deliveries?since=yesterday', 'query.since'],
    ['/v1/deliveries?cursor=not-a-cursor', 'query.cursor'],
    ['/v1/deliveries?tenantId=other', 'query'],
    ['/v1/events?limit=500', 'query.limit'],
  ] as const) {
    const res = await api.call<{ error: { details?: { field: string }[]; message: string } }>('GET', path, {
      key: a.key,
    });
    expect({ path, status: res.status }).toEqual({ path, status: 400 });
    expect(JSON.stringify(res.body)).toContain(field);
  }
  expect((await api.call('GET', '/v1/deliveries')).status).toBe(401);
});

test('a delivery the engine made is found by its document, its event ID and its status', async () => {
  const receiver = await startReceiver();
  const { tenantId, key } = await api.tenant();
  const created = await api.call<{ id: string }>('POST', '/v1/webhooks', {
    key,
    body: { url: receiver.url, event: 'document.approved' },
  });
  expect(created.status).toBe(201);
  const doc = await t.addDocument(tenantId);
  const documentId = String(doc._id);
  const eventId = uniqueId('evt');
  const published = await api.call('POST', '/v1/events', {
    key: api.platformKey,
    body: { tenantId, event: 'document.approved', documentId, eventId },
  });
  expect(published.status).toBe(202);
  const found = await eventually(async () => {
    const res = await api.call<Page<Listed>>('GET', `/v1/deliveries?documentId=${documentId}&status=succeeded`, {
      key,
    });
    return res.body.data[0];
  });
  expect(found).toMatchObject({ eventId, documentId, webhookId: created.body.id, event: 'document.approved' });
  const byEvent = await api.call<Page<Listed>>('GET', `/v1/deliveries?eventId=${eventId}`, { key });
  expect(byEvent.body.data.map((d) => d.id)).toEqual([found.id]);
  const events = await api.call<Page<{ id: string; deliveries: Record<string, number> }>>(
    'GET',
    `/v1/events?documentId=${documentId}`,
    { key },
  );
  expect(events.body.data).toEqual([expect.objectContaining({ id: eventId, deliveries: { succeeded: 1 } })]);
  await receiver.close();
});
