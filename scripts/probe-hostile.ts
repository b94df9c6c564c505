/**
 * Runs the hostile and careless requests of issue 13 against a running `npm run dev` and prints one
 * "case → status" line each, then checks that nothing was stored and that no probe key reached the log.
 *
 *   source .data/dev.env   # API, ADMIN_KEY, PLATFORM_KEY, TENANT_ID, …
 *   npx ts-node --transpile-only scripts/probe-hostile.ts [--log <file with npm run dev's output>]
 *
 * It creates one tenant of its own (probe-<time>) with one key and one webhook, so the dev tenant's key is
 * neither rate-limited nor counted. The key-guessing case runs last: it locks this address out of
 * authenticating for a minute, as it should.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';

const { values: args } = parseArgs({ options: { log: { type: 'string' }, env: { type: 'string' } } });

function loadEnv(file: string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  if (!file) return env;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^export (\w+)='(.*)'$/.exec(line);
    if (m?.[1]) env[m[1]] = (m[2] ?? '').replace(/'\\''/g, "'");
  }
  return env;
}
const fileEnv = loadEnv(args.env);
const need = (name: string): string => {
  const value = process.env[name] ?? fileEnv[name];
  if (!value) throw new Error(`${name} is not set: source .data/dev.env first (or pass --env)`);
  return value;
};
const API = need('API');
const ADMIN_KEY = need('ADMIN_KEY');
const PLATFORM_KEY = need('PLATFORM_KEY');
const { hostname, port } = new URL(API);

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: { error?: { code: string; message: string } } & Record<string, unknown>;
}

function request(
  method: string,
  path: string,
  options: { auth?: string; headers?: Record<string, string>; body?: string | Buffer; json?: unknown } = {},
): Promise<Res> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.auth !== undefined) headers.authorization = options.auth;
  let body = options.body;
  if (options.json !== undefined) body = JSON.stringify(options.json);
  if (body !== undefined) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: Res['body'] = {};
        try {
          parsed = JSON.parse(text) as Res['body'];
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

let unexpected = 0;
function report(name: string, res: Res | number, expected: (status: number) => boolean, note = ''): void {
  const status = typeof res === 'number' ? res : res.status;
  const code = typeof res === 'number' ? '' : (res.body.error?.code ?? '');
  const ok = expected(status);
  if (!ok) unexpected++;
  console.log(
    `${name} → ${status}${code ? ` ${code}` : ''}${note ? ` (${note})` : ''}${ok ? '' : '   <-- UNEXPECTED'}`,
  );
}
const is4xx = (s: number): boolean => s >= 400 && s < 500;
const is = (expected: number) => (s: number) => s === expected;

async function main(): Promise<void> {
  const stamp = Date.now().toString(36);
  const admin = `Bearer ${ADMIN_KEY}`;
  const tenant = await request('POST', '/v1/tenants', {
    auth: admin,
    json: { tenantId: `probe-${stamp}`, name: 'Probe' },
  });
  const tenantId = String(tenant.body.id);
  const issued = await request('POST', `/v1/tenants/${tenantId}/api-keys`, { auth: admin });
  const key = String(issued.body.key);
  const auth = `Bearer ${key}`;
  const platform = `Bearer ${PLATFORM_KEY}`;
  const created = await request('POST', '/v1/webhooks', {
    auth,
    json: {
      url: 'https://hooks.example.test/x',
      event: 'document.processed',
      signingSecret: 'probe-signing-secret-1234',
    },
  });
  const webhookId = String(created.body.id);
  console.log(
    `setup: tenant ${tenantId} (${tenant.status}), key (${issued.status}), webhook ${webhookId} (${created.status})\n`,
  );
  const webhookBefore = await request('GET', `/v1/webhooks/${webhookId}`, { auth });

  console.log('# 500s: a body that is not gzip, on every body route');
  const notGzip = { 'content-encoding': 'gzip', 'content-type': 'application/json' };
  const bodyRoutes: [string, string, string][] = [
    ['POST', '/v1/tenants', admin],
    ['POST', '/v1/webhooks', auth],
    ['PATCH', `/v1/webhooks/${webhookId}`, auth],
    ['POST', `/v1/webhooks/${webhookId}/secret/rotate`, auth],
    ['POST', `/v1/webhooks/${webhookId}/recover`, auth],
    ['POST', '/v1/events', platform],
  ];
  for (const [method, path, a] of bodyRoutes) {
    report(
      `Content-Encoding: gzip, body not gzip: ${method} ${path}`,
      await request(method, path, { auth: a, headers: notGzip, body: '{"name":"x"}' }),
      is(400),
    );
  }
  report(
    'Content-Encoding: gzip, truncated gzip: POST /v1/webhooks',
    await request('POST', '/v1/webhooks', {
      auth,
      headers: notGzip,
      body: zlib.gzipSync('{"url":"x"}').subarray(0, 12),
    }),
    is(400),
  );

  console.log('\n# 500s: bad percent-encoding in each path parameter');
  const pathRoutes: [string, (v: string) => string, string][] = [
    ['POST', (v) => `/v1/tenants/${v}/api-keys`, admin],
    ['DELETE', (v) => `/v1/tenants/${v}/api-keys/key_x`, admin],
    ['DELETE', (v) => `/v1/tenants/${tenantId}/api-keys/${v}`, admin],
    ['GET', (v) => `/v1/webhooks/${v}`, auth],
    ['PATCH', (v) => `/v1/webhooks/${v}`, auth],
    ['DELETE', (v) => `/v1/webhooks/${v}`, auth],
    ['GET', (v) => `/v1/webhooks/${v}/secret`, auth],
    ['POST', (v) => `/v1/webhooks/${v}/secret/rotate`, auth],
    ['POST', (v) => `/v1/webhooks/${v}/test`, auth],
    ['GET', (v) => `/v1/webhooks/${v}/deliveries`, auth],
    ['POST', (v) => `/v1/webhooks/${v}/recover`, auth],
    ['GET', (v) => `/v1/events/${v}`, auth],
    ['GET', (v) => `/v1/deliveries/${v}`, auth],
    ['POST', (v) => `/v1/deliveries/${v}/redeliver`, auth],
  ];
  for (const [method, path, a] of pathRoutes) {
    const body = method === 'PATCH' ? { json: { status: 'inactive' } } : {};
    report(`${method} ${path('%ZZ')}`, await request(method, path('%ZZ'), { auth: a, ...body }), is(400));
  }
  report(
    `PATCH /v1/webhooks/%E0%A4%A`,
    await request('PATCH', '/v1/webhooks/%E0%A4%A', { auth, json: { status: 'inactive' } }),
    is(400),
  );

  console.log('\n# Stored but unusable: control characters and non-Latin-1 in credentials');
  const webhook = (extra: Record<string, unknown>) => ({
    url: 'https://hooks.example.test/x',
    event: 'document.processed',
    ...extra,
  });
  const controls: [string, string][] = [
    ['CR', '\r'],
    ['LF', '\n'],
    ['NUL', '\u0000'],
    ['BEL', '\u0007'],
    ['DEL', '\u007f'],
  ];
  for (const [name, c] of controls) {
    report(
      `bearer token with ${name}`,
      await request('POST', '/v1/webhooks', { auth, json: webhook({ auth: { type: 'bearer', token: `tok${c}en` } }) }),
      is(400),
    );
    report(
      `API key with ${name}`,
      await request('POST', '/v1/webhooks', {
        auth,
        json: webhook({ auth: { type: 'apiKey', headerName: 'X-Key', key: `k${c}ey` } }),
      }),
      is(400),
    );
  }
  for (const [name, text] of [
    ['U+0100 Ā', 'tokĀn'],
    ['€', 'tok€n'],
    ['emoji', 'token🔑'],
    ['Cyrillic', 'токен'],
  ] as const) {
    report(
      `bearer token with ${name} (outside Latin-1)`,
      await request('POST', '/v1/webhooks', { auth, json: webhook({ auth: { type: 'bearer', token: text } }) }),
      is(400),
    );
    report(
      `API key with ${name} (outside Latin-1)`,
      await request('POST', '/v1/webhooks', {
        auth,
        json: webhook({ auth: { type: 'apiKey', headerName: 'X-Key', key: text } }),
      }),
      is(400),
    );
  }
  report(
    'Basic password with CR LF',
    await request('POST', '/v1/webhooks', {
      auth,
      json: webhook({ auth: { type: 'basic', username: 'u', password: 'p\r\nX: y' } }),
    }),
    is(400),
  );

  console.log('\n# Stored but unusable: URLs');
  for (const [name, url] of [
    ['TAB in the host', 'https://hooks.exa\tmple.test/x'],
    ['CR/LF in the host', 'https://hooks.example.test\r\n/x'],
    ['NUL in the path', 'https://hooks.example.test/a\u0000b'],
    ['leading space', ' https://hooks.example.test/x'],
    ['https:\\\\example.com\\h', 'https:\\\\example.com\\h'],
    ['port 0', 'https://hooks.example.test:0/x'],
    ['host label of 64 characters', `https://${'a'.repeat(64)}.example.test/x`],
    ['host name of 254 characters', `https://${Array(4).fill('a'.repeat(62)).join('.')}.test/`],
  ]) {
    report(`URL with ${name}`, await request('POST', '/v1/webhooks', { auth, json: webhook({ url }) }), is(400));
  }
  report(
    'PATCH the webhook to a URL with a TAB in the host',
    await request('PATCH', `/v1/webhooks/${webhookId}`, { auth, json: { url: 'https://a\tb.example.test/' } }),
    is(400),
  );

  console.log('\n# Accepted without a word: IDs, occurredAt, API-key header names');
  const docId = need('DOCUMENT_ID');
  const event = (extra: Record<string, unknown>) => ({
    tenantId,
    event: 'document.processed',
    documentId: docId,
    ...extra,
  });
  const refusedEventIds: string[] = [];
  report(
    'eventId ".."',
    await request('POST', '/v1/events', { auth: platform, json: event({ eventId: '..' }) }),
    is(400),
  );
  for (const [name, occurredAt] of [
    ['1970', '1970-01-01T00:00:00Z'],
    ['2999', '2999-01-01T00:00:00Z'],
  ]) {
    const eventId = `probe-${name}-${stamp}`;
    refusedEventIds.push(eventId);
    report(
      `occurredAt in ${name}`,
      await request('POST', '/v1/events', { auth: platform, json: event({ eventId, occurredAt }) }),
      is(400),
    );
  }
  report(
    'tenantId "a/b" for a new tenant',
    await request('POST', '/v1/tenants', { auth: admin, json: { tenantId: 'a/b', name: 'x' } }),
    is(400),
  );
  for (const headerName of ['Proxy-Authorization', 'Cookie', 'Via', 'Forwarded', 'X-Forwarded-For']) {
    report(
      `API-key header ${headerName}`,
      await request('POST', '/v1/webhooks', {
        auth,
        json: webhook({ auth: { type: 'apiKey', headerName, key: 'a-key' } }),
      }),
      is(400),
    );
  }

  console.log('\n# A key in a log: in the query string, the body and an unexpected header');
  report('GET /v1/webhooks?api_key=<probe key>', await request('GET', `/v1/webhooks?api_key=${key}`, { auth }), is4xx);
  report(
    'GET /v1/webhooks?api_key=<probe key> without Authorization',
    await request('GET', `/v1/webhooks?api_key=${key}`),
    is4xx,
  );
  report(
    'POST /v1/webhooks with the key in the body',
    await request('POST', '/v1/webhooks', { auth, json: webhook({ apiKey: key }) }),
    is4xx,
  );
  report(
    'GET /v1/webhooks with the key in X-Secret-Token',
    await request('GET', '/v1/webhooks', { auth, headers: { 'x-secret-token': key } }),
    is(200),
  );

  console.log('\n# Nothing stored');
  const list = await request('GET', '/v1/webhooks', { auth });
  const count = Array.isArray(list.body.data) ? list.body.data.length : -1;
  report(
    'webhooks of the probe tenant (1 created on purpose)',
    list,
    (s) => s === 200 && count === 1,
    `${count} webhook(s)`,
  );
  const webhookAfter = await request('GET', `/v1/webhooks/${webhookId}`, { auth });
  const same = JSON.stringify(webhookAfter.body) === JSON.stringify(webhookBefore.body);
  report(
    'the probe webhook after the PATCH probes',
    webhookAfter,
    (s) => s === 200 && same,
    same ? 'unchanged' : 'CHANGED',
  );
  await new Promise((r) => setTimeout(r, 2000));
  for (const eventId of refusedEventIds) {
    report(
      `GET /v1/events/${eventId} (refused event)`,
      await request('GET', `/v1/events/${eventId}`, { auth }),
      is(404),
    );
  }

  console.log('\n# The rate limit cannot be sidestepped by re-spelling the scheme');
  const limited = await request('POST', `/v1/tenants/${tenantId}/api-keys`, { auth: admin });
  const limitedKey = String(limited.body.key);
  let first429 = 0;
  for (let i = 1; i <= 2000 && first429 === 0; i++) {
    if ((await request('GET', '/v1/webhooks?limit=1', { auth: `Bearer ${limitedKey}` })).status === 429) first429 = i;
  }
  report(
    `same key, "Bearer <key>" (first 429 at request ${first429})`,
    await request('GET', '/v1/webhooks', { auth: `Bearer ${limitedKey}` }),
    is(429),
  );
  for (const [name, header] of [
    ['bearer <key>', `bearer ${limitedKey}`],
    ['bEaReR <key>', `bEaReR ${limitedKey}`],
    ['Bearer  <key> (two spaces)', `Bearer  ${limitedKey}`],
    ['Bearer<TAB><key>', `Bearer\t${limitedKey}`],
  ]) {
    const res = await request('GET', '/v1/webhooks', { auth: header });
    report(`same key as ${name}`, res, is(429), `Retry-After ${String(res.headers['retry-after'])}`);
  }
  report('another key of the same tenant', await request('GET', '/v1/webhooks', { auth }), is(200));

  if (args.log) {
    console.log('\n# The log');
    const log = fs.readFileSync(args.log, 'utf8');
    const leakedKeys = [key, limitedKey].filter((k) => log.includes(k)).length;
    const queryLines = log.split('\n').filter((l) => /"url":"[^"]*\?/.test(l)).length;
    const check = (name: string, found: number): void => {
      if (found > 0) unexpected++;
      console.log(`${name} → ${found} found${found > 0 ? '   <-- UNEXPECTED' : ''}`);
    };
    check(`probe keys in ${args.log}`, leakedKeys);
    check('access-log lines whose url has a query string', queryLines);
  }

  console.log('\n# Key guessing: 700 random keys as fast as possible (last: it locks this address out for a minute)');
  const started = Date.now();
  const statuses: Record<number, number> = {};
  const guesses = Array.from({ length: 700 }, () => `Bearer dfk_${crypto.randomBytes(24).toString('base64url')}`);
  let retryAfter = '';
  for (let i = 0; i < guesses.length; i += 50) {
    const batch = await Promise.all(guesses.slice(i, i + 50).map((g) => request('GET', '/v1/webhooks', { auth: g })));
    for (const r of batch) {
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (r.status === 429) retryAfter = String(r.headers['retry-after']);
    }
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `700 random keys in ${seconds} s → ${Object.entries(statuses)
      .map(([s, n]) => `${n}× ${s}`)
      .join(', ')} (Retry-After ${retryAfter})`,
  );
  if ((statuses[401] ?? 0) > 100 || (statuses[429] ?? 0) === 0) unexpected++;
  report('a valid key from the same address now', await request('GET', '/v1/webhooks', { auth }), is(429));

  console.log(`\n${unexpected === 0 ? 'every case as expected' : `${unexpected} UNEXPECTED`}`);
  if (unexpected > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
