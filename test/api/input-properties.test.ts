/**
 * Property-based (fast-check): every write route's body schema gets random invalid values — hostile strings
 * (control characters, other scripts, huge, path-like, URL tricks), wrong types, missing and unknown fields,
 * whole random JSON documents — and every write route's path parameters get random text. Each answer is a
 * 4xx in the one error shape, never a 5xx, and neither the store nor Temporal changes.
 */
import fc from 'fast-check';
import { apiRoutes } from '../../src/api/app';
import type { Role } from '../../src/api/auth';
import type { RouteSpec } from '../../src/api/route';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestEngine, type TestEngine } from '../helpers/engine';
import { rawRequest } from '../helpers/raw-http';
import { storeSnapshot } from '../helpers/state';

let t: TestEngine;
let api: TestApi;
const keys = {} as Record<Role, string>;
const ids: Record<string, string> = {};
beforeAll(async () => {
  t = await startTestEngine();
  api = await startTestApi(t);
  const tenant = await api.tenant();
  keys.admin = api.adminKey;
  keys.platform = api.platformKey;
  keys.tenant = tenant.key;
  ids.tenantId = tenant.tenantId;
  const webhook = await api.call<{ id: string }>('POST', '/v1/webhooks', {
    key: tenant.key,
    body: { url: 'https://hooks.example.test/x', event: 'document.processed' },
  });
  ids.id = webhook.body.id;
});
afterAll(async () => {
  await api.close();
  await t.dispose();
});

const specs = apiRoutes({} as never);
const writeRoutes = specs.filter((s) => s.method !== 'get');
const bodyRoutes = writeRoutes.filter((s) => s.body);

/** A valid body per route: a mutation of one field is then invalid because of that field. */
/** The key of the route's first role; none for a public route (a portal link's exchange). */
const authorization = (role: Role | undefined): Record<string, string> =>
  role ? { authorization: `Bearer ${keys[role]}` } : {};

const VALID_BODIES: Record<string, Record<string, unknown>[]> = {
  'post /v1/tenants/:tenantId/portal-sessions': [
    {},
    { capabilities: ['manage_endpoints', 'view_secrets'], sessionTtlSeconds: 600 },
    { capabilities: [], theme: { accentColor: '#0b6bcb', logoUrl: 'https://cdn.example.test/logo.svg', mode: 'dark' } },
  ],
  'post /portal/api/session': [{ token: `ps_${'0'.repeat(24)}.${'a'.repeat(43)}` }],
  'post /v1/tenants': [{ name: 'A tenant', tenantId: 'tenant-a' }],
  'patch /v1/tenants/:tenantId': [{ retentionDays: 30 }, { retentionDays: null }],
  'post /v1/webhooks': [
    { url: 'https://hooks.example.test/x', event: 'document.created', auth: { type: 'bearer', token: 'tok' } },
    {
      url: 'https://hooks.example.test/x',
      event: 'document.created',
      auth: { type: 'apiKey', headerName: 'X-Key', key: 'k' },
      signingSecret: 'a-signing-secret-of-16+',
      retrySchedule: [1, 2],
      status: 'inactive',
      rateLimit: { perSecond: 5, burst: 2 },
      maxInFlight: 3,
      ordering: 'document',
    },
    {
      url: 'https://hooks.example.test/x',
      event: 'document.created',
      auth: { type: 'basic', username: 'u', password: 'p' },
    },
  ],
  'patch /v1/webhooks/:id': [
    { url: 'https://hooks.example.test/y' },
    { auth: { type: 'apiKey', headerName: 'X-Key', key: 'k' }, signingSecret: null, retrySchedule: [3] },
    { rateLimit: null, maxInFlight: 1, ordering: 'webhook' },
  ],
  'post /v1/webhooks/:id/secret/rotate': [{ secret: 'a-new-secret-of-16-chars', gracePeriodSeconds: 60 }],
  'post /v1/webhooks/:id/recover': [{ since: '2025-01-01T00:00:00Z', until: '2025-01-02T00:00:00Z' }],
  'post /v1/events': [
    {
      eventId: 'evt-1',
      tenantId: 'tenant-a',
      event: 'document.processed',
      documentId: 'doc-1',
      occurredAt: new Date().toISOString(),
    },
  ],
};

/** Dotted paths a mutation may set or delete, per route ("*" adds an unknown field). */
const FIELDS: Record<string, string[]> = {
  'post /v1/tenants': ['tenantId', 'name', '*'],
  'patch /v1/tenants/:tenantId': ['retentionDays', '*'],
  'post /v1/webhooks': [
    'url',
    'event',
    'auth',
    'auth.type',
    'auth.token',
    'auth.username',
    'auth.password',
    'auth.headerName',
    'auth.key',
    'signingSecret',
    'status',
    'retrySchedule',
    'retrySchedule.0',
    'rateLimit',
    'rateLimit.perSecond',
    'rateLimit.burst',
    'maxInFlight',
    'ordering',
    '*',
    'auth.*',
  ],
  'post /v1/webhooks/:id/secret/rotate': ['secret', 'gracePeriodSeconds', '*'],
  'post /v1/webhooks/:id/recover': ['since', 'until', '*'],
  'post /v1/events': ['eventId', 'tenantId', 'event', 'documentId', 'occurredAt', '*'],
};
FIELDS['patch /v1/webhooks/:id'] = FIELDS['post /v1/webhooks'] ?? [];

const routeKey = (spec: RouteSpec): string => `${spec.method} ${spec.path}`;

const CONTROL = fc.constantFrom('\r', '\n', '\r\n', '\u0000', '\u0007', '\t', '\u007f', '\u0085', '\u2028', '\u001b');
const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.tuple(fc.string({ maxLength: 20 }), CONTROL, fc.string({ maxLength: 20 })).map(([a, c, b]) => `${a}${c}${b}`),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
  fc.string({ minLength: 250, maxLength: 5000 }),
  fc.constantFrom(
    '',
    ' ',
    '.',
    '..',
    '/',
    'a/b',
    '../etc/passwd',
    '__proto__',
    'constructor',
    'https:\\\\example.com\\h',
    'https://exa\tmple.test/',
    'https://hooks.example.test:0/',
    ' https://hooks.example.test/',
    `https://${'a'.repeat(64)}.example.test/`,
    'https://ho_st.example.test/',
    'http://hooks.example.test/',
    'https://user:pw@hooks.example.test/',
    'https://127.0.0.1/',
    'https://[::1]/',
    'javascript:alert(1)',
    '1970-01-01T00:00:00Z',
    '2999-01-01T00:00:00Z',
    'not a date',
    'whsec_!!!',
    'Proxy-Authorization',
    'X-Forwarded-For',
    'Cookie',
    'document.deleted',
    'tokén',
    'токен',
  ),
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  fc.jsonValue({ maxDepth: 2 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(null, true, false, -1, 0, 1e308, 2 ** 53 + 1, [], {}),
  fc.array(hostileString, { maxLength: 3 }),
);

/** Inserts `piece` at a random position of `text`. */
const inserted = (text: fc.Arbitrary<string>, piece: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc
    .tuple(text, piece, fc.nat())
    .map(([t, p, at]) => `${t.slice(0, at % (t.length + 1))}${p}${t.slice(at % (t.length + 1))}`);
const visibleAscii = fc.string({
  unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: 30,
});
const nonAscii = fc.oneof(
  fc.integer({ min: 0x80, max: 0xd7ff }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('é', 'τ', '🔑', '\u00a0', '\u2028', '\ufeff'),
);
const C0_OR_DEL = fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.constant(0x7f)).map((c) => String.fromCharCode(c));
const label = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'), minLength: min, maxLength: max });
const hostName = fc.array(label(1, 20), { minLength: 1, maxLength: 4 }).map((labels) => `${labels.join('.')}.test`);

/**
 * Values the rules call invalid, generated independently of the schemas (an oracle of their own): a
 * schema that lets one through fails the test. Per field of the mutation lists above.
 */
const SPEC_INVALID: Record<string, fc.Arbitrary<unknown>> = {
  // Sent verbatim in a header: control characters, anything outside ASCII, edge spaces.
  'auth.token': fc.oneof(
    inserted(visibleAscii, C0_OR_DEL),
    inserted(visibleAscii, nonAscii),
    visibleAscii.map((v) => ` ${v}`),
    visibleAscii.map((v) => `${v} `),
  ),
  'auth.key': fc.oneof(inserted(visibleAscii, C0_OR_DEL), inserted(visibleAscii, nonAscii)),
  'auth.password': inserted(visibleAscii, C0_OR_DEL),
  'auth.username': inserted(fc.string({ unit: fc.constantFrom('a', 'b', 'é'), maxLength: 10 }), C0_OR_DEL),
  'auth.headerName': fc
    .oneof(
      fc.constantFrom(
        'Connection',
        'Keep-Alive',
        'TE',
        'Trailer',
        'Upgrade',
        'Via',
        'Forwarded',
        'Cookie',
        'X-Real-IP',
      ),
      label(1, 10).map((s) => `Proxy-${s}`),
      label(1, 10).map((s) => `X-Forwarded-${s}`),
      fc.constantFrom('Host', 'Content-Type', 'X-Docflo-Signature', 'Webhook-Id'),
    )
    .chain((name) => fc.constantFrom(name, name.toLowerCase(), name.toUpperCase())),
  url: fc.oneof(
    hostName.chain((h) => inserted(fc.constant(`https://${h}/x`), C0_OR_DEL)),
    hostName.map((h) => ` https://${h}/x`),
    hostName.map((h) => `https://${h}/x\n`),
    hostName.chain((h) => inserted(fc.constant(`https://${h}/x`), fc.constant('\\'))),
    hostName.map((h) => `https://${h}:0/x`),
    fc.tuple(label(64, 80), hostName).map(([l, h]) => `https://${l}.${h}/`),
    fc.array(label(50, 63), { minLength: 5, maxLength: 6 }).map((ls) => `https://${ls.join('.')}/`),
    fc
      .tuple(hostName, fc.constantFrom('_', '!', '$', '&', "'", '(', '*', '+', ',', ';', '=', '{'))
      .map(([h, c]) => `https://${c}${h}/`),
    hostName.map((h) => `http://${h}/x`),
  ),
  // IDs: one pattern, no ".", "..", "/".
  tenantId: fc.oneof(
    fc.constantFrom('.', '..', 'a/b', '/', '.a', 'a.', 'a..b'),
    inserted(label(1, 10), fc.constantFrom('/', '..', ' ', '%', ':', '@', 'é', '\u0000')),
  ),
  // Outside the default window: before 7 days ago or after 5 minutes ahead (a margin for the clock).
  occurredAt: fc
    .oneof(
      fc.integer({ min: -62135596800000 + 1, max: Date.now() - 8 * 86400000 }),
      fc.integer({ min: Date.now() + 6 * 60000, max: 253402300799000 }),
    )
    .map((ms) => new Date(ms).toISOString()),
};
SPEC_INVALID.retentionDays = fc.oneof(
  fc.integer({ max: 0 }),
  fc.integer({ min: 401 }),
  fc.double({ min: 1.01, max: 399.99, noNaN: true }).filter((n) => !Number.isInteger(n)),
  fc.integer({ min: 1, max: 400 }).map(String),
);
SPEC_INVALID.eventId = SPEC_INVALID.tenantId;
SPEC_INVALID.documentId = SPEC_INVALID.tenantId;

/** A valid body with one field set to a value the rules refuse, and the fields it applies to. */
function specInvalidBody(spec: RouteSpec): fc.Arbitrary<string> | undefined {
  const key = routeKey(spec);
  const fields = (FIELDS[key] ?? []).filter((f) => SPEC_INVALID[f]);
  if (fields.length === 0) return undefined;
  return fc
    .constantFrom(...fields)
    .chain((path) => fc.tuple(fc.constant(path), SPEC_INVALID[path]))
    .chain(([path, value]) => {
      // The auth fields belong to one auth type each: pick a base whose auth has that field.
      const field = path.split('.')[1];
      const bases = (VALID_BODIES[key] ?? []).filter(
        (b) => !field || (typeof b.auth === 'object' && b.auth !== null && field in b.auth),
      );
      return fc.constantFrom(...(bases.length > 0 ? bases : [{}])).map((base) => mutate(base, path, value, false, ''));
    })
    .map((body) => JSON.stringify(body));
}

function mutate(base: Record<string, unknown>, path: string, value: unknown, remove: boolean, extraName: string) {
  const body = structuredClone(base);
  const parts = path.split('.');
  let target: Record<string, unknown> = body;
  for (const part of parts.slice(0, -1)) {
    const next = target[part];
    if (typeof next !== 'object' || next === null) target[part] = {};
    target = target[part] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1] ?? '';
  const name = last === '*' ? `x_${extraName}` : last;
  if (remove && last !== '*') delete target[name];
  else target[name] = value;
  return body;
}

/** A body for the route that its own schema refuses (after a JSON round trip, as the server will see it). */
function invalidBody(spec: RouteSpec): fc.Arbitrary<string> {
  const key = routeKey(spec);
  const bases = VALID_BODIES[key] ?? [{}];
  const mutated = fc
    .record({
      base: fc.constantFrom(...bases),
      path: fc.constantFrom(...(FIELDS[key] ?? ['*'])),
      value: hostileValue,
      remove: fc.boolean(),
      extraName: fc.string({ maxLength: 8 }),
    })
    .map(({ base, path, value, remove, extraName }) => mutate(base, path, value, remove, extraName));
  const whole = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(hostileString, hostileValue, { maxKeys: 4 }));
  return fc
    .oneof({ weight: 5, arbitrary: mutated }, whole)
    .map((value) => JSON.stringify(value) ?? 'null')
    .filter((text) => !spec.body?.safeParse(JSON.parse(text)).success);
}

function pathFor(spec: RouteSpec, override?: Record<string, string>): string {
  return spec.path.replace(/:(\w+)/g, (_m, name: string) => override?.[name] ?? ids[name] ?? 'missing');
}

async function temporalWorkflows(): Promise<number> {
  return (await t.temporal.workflow.count(`TaskQueue = "${t.taskQueue}"`)).count;
}

test('the valid bodies are valid, so each mutation is invalid because of what it changed', () => {
  for (const spec of bodyRoutes) {
    const bases = VALID_BODIES[routeKey(spec)];
    expect([routeKey(spec), bases?.length]).toEqual([routeKey(spec), expect.any(Number)]);
    for (const base of bases ?? [])
      expect([routeKey(spec), spec.body?.safeParse(base).success]).toEqual([routeKey(spec), true]);
  }
  expect(bodyRoutes.map(routeKey).sort()).toEqual(Object.keys(VALID_BODIES).sort());
});

test('random invalid bodies on every write route: a 400, never a 5xx, and nothing changes', async () => {
  const before = await storeSnapshot(t.db);
  const workflowsBefore = await temporalWorkflows();
  for (const spec of bodyRoutes) {
    const role = spec.roles[0];
    await fc.assert(
      fc.asyncProperty(invalidBody(spec), async (body) => {
        const res = await rawRequest(api.url, spec.method.toUpperCase(), pathFor(spec), {
          headers: { ...authorization(role), 'content-type': 'application/json' },
          body,
        });
        expect([routeKey(spec), res.status]).toEqual([routeKey(spec), 400]);
        expect(['validation_failed', 'malformed_json']).toContain(res.json?.error?.code);
        expect(res.json?.error?.message).toEqual(expect.any(String));
      }),
      { numRuns: 60 },
    );
  }
  expect(await storeSnapshot(t.db)).toEqual(before);
  expect(await temporalWorkflows()).toBe(workflowsBefore);
});

test('values the rules refuse, generated without the schemas: a 400 on every write route, and nothing changes', async () => {
  const before = await storeSnapshot(t.db);
  const workflowsBefore = await temporalWorkflows();
  let routes = 0;
  for (const spec of bodyRoutes) {
    const arbitrary = specInvalidBody(spec);
    if (!arbitrary) continue;
    routes++;
    const role = spec.roles[0];
    await fc.assert(
      fc.asyncProperty(arbitrary, async (body) => {
        const res = await rawRequest(api.url, spec.method.toUpperCase(), pathFor(spec), {
          headers: { ...authorization(role), 'content-type': 'application/json' },
          body,
        });
        expect([routeKey(spec), body, res.status, res.json?.error?.code]).toEqual([
          routeKey(spec),
          body,
          400,
          'validation_failed',
        ]);
      }),
      { numRuns: 80 },
    );
  }
  expect(routes).toBe(5); // tenants create and patch, webhooks create and patch, events
  expect(await storeSnapshot(t.db)).toEqual(before);
  expect(await temporalWorkflows()).toBe(workflowsBefore);
});

test('random path parameters on every write route: a 4xx, never a 5xx, and nothing changes', async () => {
  const before = await storeSnapshot(t.db);
  const encodable = (s: string): boolean => {
    try {
      encodeURIComponent(s);
      return true;
    } catch {
      return false; // a lone surrogate
    }
  };
  const encoded = fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).filter(encodable).map(encodeURIComponent);
  const raw = fc.string({
    unit: fc.constantFrom('%', '2', 'E', 'F', 'C', '0', 'Z', '.', 'a', '~', '-', '_', ':', '@', '!', '$', '*'),
    minLength: 1,
    maxLength: 12,
  });
  for (const spec of writeRoutes.filter((s) => s.path.includes(':'))) {
    const role = spec.roles[0];
    const names = [...spec.path.matchAll(/:(\w+)/g)].map((m) => m[1] ?? '');
    const base = VALID_BODIES[routeKey(spec)]?.[0];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), fc.oneof(encoded, raw), async (name, value) => {
        const path = pathFor(spec, { [name]: value });
        const res = await rawRequest(api.url, spec.method.toUpperCase(), path, {
          headers: { ...authorization(role), 'content-type': 'application/json' },
          body: JSON.stringify(base ?? {}),
        });
        expect([routeKey(spec), path, res.status >= 400 && res.status < 500]).toEqual([routeKey(spec), path, true]);
        expect(res.json?.error?.code).toEqual(expect.any(String));
      }),
      { numRuns: 40 },
    );
  }
  expect(await storeSnapshot(t.db)).toEqual(before);
});
