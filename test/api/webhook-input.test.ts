/**
 * Nothing is stored that can never work: credentials that cannot travel in an HTTP header, API-key headers
 * that proxies strip or rewrite, and URLs no request can reach are refused with a 400 naming the field; what
 * is accepted is delivered exactly as given.
 */
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestEngine, type TestEngine } from '../helpers/engine';
import { startReceiver } from '../helpers/receiver';
import { storeSnapshot } from '../helpers/state';

let t: TestEngine;
let api: TestApi;
let key: string;
beforeAll(async () => {
  t = await startTestEngine();
  api = await startTestApi(t);
  key = (await api.tenant()).key;
});
afterAll(async () => {
  await api.close();
  await t.dispose();
});

const base = { url: 'https://hooks.example.test/x', event: 'document.processed' };

interface ErrorBody {
  error: { code: string; message: string; details: { field: string; message: string }[] };
}

/** Each body is refused with a 400 whose details name `field` and match `reason`; the store is unchanged. */
async function expectRefused(cases: [string, Record<string, unknown>, string, RegExp][]): Promise<void> {
  const before = await storeSnapshot(t.db);
  for (const [name, body, field, reason] of cases) {
    const res = await api.call<ErrorBody>('POST', '/v1/webhooks', { key, body });
    const detail = res.body.error?.details?.find((d) => d.field === field);
    expect({ name, status: res.status, field: detail?.field }).toEqual({ name, status: 400, field });
    expect([name, detail?.message]).toEqual([name, expect.stringMatching(reason)]);
  }
  expect(await storeSnapshot(t.db)).toEqual(before);
}

describe('credentials must be valid HTTP header values', () => {
  const bearer = (token: string) => ({ ...base, auth: { type: 'bearer', token } });
  const apiKey = (k: string, headerName = 'X-Api-Key') => ({ ...base, auth: { type: 'apiKey', headerName, key: k } });
  const basic = (username: string, password: string) => ({ ...base, auth: { type: 'basic', username, password } });

  test('control characters, characters outside ASCII and edge spaces in a token or an API key: 400', async () => {
    const controls: [string, string][] = [
      ['CR', '\r'],
      ['LF', '\n'],
      ['CRLF', '\r\n'],
      ['NUL', '\u0000'],
      ['BEL', '\u0007'],
      ['TAB', '\t'],
      ['DEL', '\u007f'],
    ];
    const cases: [string, Record<string, unknown>, string, RegExp][] = [];
    for (const [name, c] of controls) {
      cases.push([`${name} in a bearer token`, bearer(`token${c}value`), 'body.auth.token', /control character/]);
      cases.push([`${name} in an API key`, apiKey(`key${c}value`), 'body.auth.key', /control character/]);
    }
    for (const [name, text] of [
      ['Latin-1 é', 'tokén-value'],
      ['Greek', 'τοκεν-value'],
      ['emoji', 'token-🔑'],
      ['NBSP', 'token\u00a0value'],
    ]) {
      cases.push([`${name} in a bearer token`, bearer(text ?? ''), 'body.auth.token', /visible ASCII/]);
      cases.push([`${name} in an API key`, apiKey(text ?? ''), 'body.auth.key', /visible ASCII/]);
    }
    cases.push(['a leading space', bearer(' token'), 'body.auth.token', /leading or trailing space/]);
    cases.push(['a trailing space', apiKey('key '), 'body.auth.key', /leading or trailing space/]);
    cases.push(['CR in a Basic password', basic('user', 'pass\rword'), 'body.auth.password', /control characters/]);
    cases.push(['LF in a Basic username', basic('us\ner', 'password'), 'body.auth.username', /control characters/]);
    cases.push(['C1 NEL in a Basic password', basic('user', 'pass\u0085'), 'body.auth.password', /control/]);
    await expectRefused(cases);
  });

  test('the message names the position, never the credential', async () => {
    const res = await api.call<ErrorBody>('POST', '/v1/webhooks', { key, body: bearer('secret-token-xyz\r\n') });
    expect(res.body.error.message).toBe(
      'body.auth.token: must be a valid HTTP header value: a control character (U+000D) at position 17',
    );
    expect(res.text).not.toContain('secret-token-xyz');
  });

  test('what is accepted is delivered byte for byte: every visible ASCII character, inner spaces, UTF-8 Basic', async () => {
    const receiver = await startReceiver();
    const visible = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join('');
    const token = `${visible} with inner  spaces`;
    const cases: [Record<string, unknown>, (h: Record<string, string>) => void][] = [
      [{ type: 'bearer', token }, (h) => expect(h.authorization).toBe(`Bearer ${token}`)],
      [{ type: 'apiKey', headerName: 'X-Receiver-Key', key: token }, (h) => expect(h['x-receiver-key']).toBe(token)],
      [
        { type: 'basic', username: 'müller', password: 'pässwörd ✓' },
        (h) =>
          expect(Buffer.from((h.authorization ?? '').replace(/^Basic /, ''), 'base64').toString('utf8')).toBe(
            'müller:pässwörd ✓',
          ),
      ],
    ];
    for (const [auth, check] of cases) {
      const created = await api.call<{ id: string }>('POST', '/v1/webhooks', {
        key,
        body: { ...base, url: receiver.url, auth },
      });
      expect(created.status).toBe(201);
      const sent = await api.call<{ delivered: boolean; deliveryId: string }>(
        'POST',
        `/v1/webhooks/${created.body.id}/test`,
        { key },
      );
      expect([auth, sent.body]).toEqual([auth, expect.objectContaining({ delivered: true })]);
      const req = receiver.requests.find((r) => r.headers['x-docflo-delivery'] === sent.body.deliveryId);
      check(req?.headers ?? {});
    }
  });
});

describe('an API-key header may not be a hop-by-hop, proxy or cookie header', () => {
  test.each([
    'Proxy-Authorization',
    'proxy-connection',
    'Proxy-Anything',
    'Connection',
    'Keep-Alive',
    'Upgrade',
    'TE',
    'Trailer',
    'Transfer-Encoding',
    'Via',
    'Forwarded',
    'X-Forwarded-For',
    'x-forwarded-host',
    'X-Forwarded-Proto',
    'X-Real-IP',
    'Cookie',
    'Set-Cookie',
  ])('%s: 400', async (headerName) => {
    await expectRefused([
      [
        headerName,
        { ...base, auth: { type: 'apiKey', headerName, key: 'a-key' } },
        'body.auth.headerName',
        /hop-by-hop, proxy or cookie header/,
      ],
    ]);
  });

  test('an ordinary custom header, or Authorization itself, is fine', async () => {
    for (const headerName of ['X-Api-Key', 'Authorization', 'X-Forwarded', 'Proxied-By-Name']) {
      const res = await api.call('POST', '/v1/webhooks', {
        key,
        body: { ...base, auth: { type: 'apiKey', headerName, key: 'a-key' } },
      });
      expect([headerName, res.status]).toEqual([headerName, 201]);
    }
  });
});

describe('URLs are parsed, refused when no request could use them, and stored normalized', () => {
  const url = (u: string) => ({ ...base, url: u });
  const long63 = 'a'.repeat(63);

  test('refused: whitespace, control characters, backslashes, bad host names, port 0', async () => {
    await expectRefused([
      ['a TAB in the host', url('https://hooks.exa\tmple.test/x'), 'body.url', /control characters/],
      ['CR LF in the host', url('https://hooks.example.test\r\n.evil/x'), 'body.url', /control characters/],
      ['a NUL in the path', url('https://hooks.example.test/a\u0000b'), 'body.url', /control characters/],
      ['a DEL in the path', url('https://hooks.example.test/a\u007fb'), 'body.url', /control characters/],
      ['a leading space', url(' https://hooks.example.test/x'), 'body.url', /whitespace/],
      ['a trailing newline', url('https://hooks.example.test/x\n'), 'body.url', /whitespace/],
      ['a trailing NBSP', url('https://hooks.example.test/x\u00a0'), 'body.url', /whitespace/],
      ['backslashes', url('https:\\\\example.com\\h'), 'body.url', /backslash/],
      ['a backslash in the path', url('https://hooks.example.test/a\\b'), 'body.url', /backslash/],
      ['port 0', url('https://hooks.example.test:0/x'), 'body.url', /port 0/],
      ['port 00', url('https://hooks.example.test:00/x'), 'body.url', /port 0/],
      ['a 64-character label', url(`https://${'a'.repeat(64)}.example.test/`), 'body.url', /label of 64/],
      [
        'a 254-character name',
        url(`https://${[long63, long63, long63, 'a'.repeat(58)].join('.')}.test/`),
        'body.url',
        /at most 253/,
      ],
      ['an underscore', url('https://my_host.example.test/'), 'body.url', /letters, digits, hyphens/],
      ['a "!" in the host', url('https://ho!st.example.test/'), 'body.url', /letters, digits, hyphens/],
      ['a "$" in the host', url('https://ho$t.example.test/'), 'body.url', /letters, digits, hyphens/],
      ['an empty label', url('https://hooks..example.test/'), 'body.url', /empty label/],
      ['a leading hyphen', url('https://-hooks.example.test/'), 'body.url', /hyphen/],
      ['a space in the host', url('https://hooks example.test/'), 'body.url', /absolute URL/],
      ['port 65536', url('https://hooks.example.test:65536/'), 'body.url', /absolute URL/],
      [
        'a query that grows past 2048 once encoded',
        url(`https://h.example.test/?${'é'.repeat(700)}`),
        'body.url',
        /2048/,
      ],
    ]);
  });

  test('a PATCH is held to the same rules, and a refused one changes nothing', async () => {
    const created = await api.call<{ id: string; url: string }>('POST', '/v1/webhooks', { key, body: base });
    const before = await storeSnapshot(t.db);
    for (const bad of ['https://a\tb.example.test/', 'https:\\\\example.com\\h', 'https://h.example.test:0/']) {
      const res = await api.call('PATCH', `/v1/webhooks/${created.body.id}`, { key, body: { url: bad } });
      expect([bad, res.status]).toEqual([bad, 400]);
    }
    expect(await storeSnapshot(t.db)).toEqual(before);
    const patched = await api.call<{ url: string }>('PATCH', `/v1/webhooks/${created.body.id}`, {
      key,
      body: { url: 'HTTPS://Hooks.Example.TEST:443/a b' },
    });
    expect(patched.body.url).toBe('https://hooks.example.test/a%20b');
  });

  test.each([
    ['HTTPS://Hooks.EXAMPLE.test/Path', 'https://hooks.example.test/Path'],
    ['https://hooks.example.test', 'https://hooks.example.test/'],
    ['https://hooks.example.test:443/x', 'https://hooks.example.test/x'],
    ['https://hooks.example.test:8443/x?a=1&b=two words', 'https://hooks.example.test:8443/x?a=1&b=two%20words'],
    ['https://bücher.example.test/ü', 'https://xn--bcher-kva.example.test/%C3%BC'],
    ['https://hooks.example.test/a/./b/../c', 'https://hooks.example.test/a/c'],
    ['https://hooks.example.test./x', 'https://hooks.example.test./x'],
    [`https://${long63}.example.test/`, `https://${long63}.example.test/`],
  ])('%s is stored and shown as %s', async (input, normalized) => {
    const res = await api.call<{ id: string; url: string }>('POST', '/v1/webhooks', { key, body: url(input) });
    expect(res.status).toBe(201);
    expect(res.body.url).toBe(normalized);
    expect((await t.store.webhooks.findById(res.body.id))?.url).toBe(normalized);
  });
});
