import { classifyOutcome } from '../../src/delivery/outcome';
import { buildDeliveryHeaders, redactHeaders, REDACTED } from '../../src/delivery/request';
import { classifyError } from '../../src/delivery/sender';

const now = new Date('2026-01-01T00:00:00.000Z');
const response = (statusCode: number, headers: Record<string, string> = {}) =>
  ({ kind: 'response', statusCode, headers, body: '', bodyTruncated: false, durationMs: 12 }) as const;

describe('classifyOutcome', () => {
  test.each([200, 201, 202, 204, 299])('HTTP %i is delivered', (status) => {
    expect(classifyOutcome(response(status), now)).toMatchObject({ delivered: true, statusCode: status });
  });

  test.each([400, 401, 404, 410, 429, 500, 503])('HTTP %i is a failed, retryable attempt', (status) => {
    expect(classifyOutcome(response(status), now)).toMatchObject({
      delivered: false,
      errorClass: 'http_status',
      retryable: true,
      error: `HTTP ${status}`,
    });
  });

  test('a redirect is a failed attempt that names where it pointed', () => {
    const outcome = classifyOutcome(response(302, { location: 'https://elsewhere.example/' }), now);
    expect(outcome).toMatchObject({ delivered: false, errorClass: 'redirect' });
    expect(outcome.error).toContain('https://elsewhere.example/');
  });

  test('Retry-After is carried through', () => {
    expect(classifyOutcome(response(503, { 'retry-after': '30' }), now).retryAfterSeconds).toBe(30);
  });

  test('a blocked destination is not retried; a timeout is flagged', () => {
    expect(classifyOutcome({ kind: 'error', errorClass: 'blocked', message: 'x', durationMs: 1 }, now).retryable).toBe(
      false,
    );
    expect(classifyOutcome({ kind: 'error', errorClass: 'timeout', message: 'x', durationMs: 1 }, now)).toMatchObject({
      timedOut: true,
      retryable: true,
    });
  });
});

describe('classifyError', () => {
  test('maps network failures to their class', () => {
    expect(classifyError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe('connection');
    expect(classifyError(Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' }))).toBe('timeout');
    expect(classifyError(Object.assign(new Error('x'), { code: 'ENOTFOUND' }))).toBe('dns');
    expect(
      classifyError(
        new Error('fetch failed', { cause: Object.assign(new Error('y'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }) }),
      ),
    ).toBe('tls');
    expect(classifyError(Object.assign(new Error('x'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }))).toBe('tls');
  });
});

describe('delivery headers', () => {
  const base = {
    deliveryId: 'dlv_1',
    event: 'document.created',
    body: '{}',
    signingSecrets: [] as string[],
    timestamp: 1_700_000_000,
  };

  test('carry content type, user agent, event, delivery ID, and a signature only with a secret', () => {
    const unsigned = buildDeliveryHeaders({ ...base, auth: { type: 'none' } });
    expect(unsigned).toMatchObject({
      'content-type': 'application/json',
      'x-docflo-event': 'document.created',
      'x-docflo-delivery': 'dlv_1',
    });
    expect(unsigned['user-agent']).toMatch(/^Docflo-Webhooks\/\d+\.\d+\.\d+/);
    expect(unsigned['x-docflo-signature']).toBeUndefined();
    expect(
      buildDeliveryHeaders({ ...base, auth: { type: 'none' }, signingSecrets: ['s'] })['x-docflo-signature'],
    ).toMatch(/^sha256=/);
  });

  test('each auth mode sends the product page header', () => {
    expect(
      buildDeliveryHeaders({ ...base, auth: { type: 'basic', username: 'u', password: 'p:w' } }).authorization,
    ).toBe(`Basic ${Buffer.from('u:p:w').toString('base64')}`);
    expect(buildDeliveryHeaders({ ...base, auth: { type: 'bearer', token: 'tok' } }).authorization).toBe('Bearer tok');
    expect(
      buildDeliveryHeaders({ ...base, auth: { type: 'apiKey', headerName: 'X-Api-Key', key: 'k' } })['x-api-key'],
    ).toBe('k');
  });

  test('an API key header can never replace one of the engine headers', () => {
    const headers = buildDeliveryHeaders({
      ...base,
      auth: { type: 'apiKey', headerName: 'X-Docflo-Delivery', key: 'forged' },
    });
    expect(headers['x-docflo-delivery']).toBe('dlv_1');
  });

  test('stored headers have credentials redacted and keep everything else', () => {
    const auth = { type: 'apiKey' as const, headerName: 'X-Custom-Key', key: 'k3y' };
    const stored = redactHeaders(buildDeliveryHeaders({ ...base, auth, signingSecrets: ['s'] }), auth);
    expect(stored['x-custom-key']).toBe(REDACTED);
    expect(JSON.stringify(stored)).not.toContain('k3y');
    expect(stored['x-docflo-signature']).toMatch(/^sha256=/);
    const bearer = { type: 'bearer' as const, token: 'tok' };
    expect(redactHeaders(buildDeliveryHeaders({ ...base, auth: bearer }), bearer).authorization).toBe(REDACTED);
  });
});
