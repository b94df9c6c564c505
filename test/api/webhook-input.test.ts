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
