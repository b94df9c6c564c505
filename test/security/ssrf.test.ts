/**
 * The SSRF guard. No test here opens a connection outside loopback: private and public answers come from an
 * injected resolver, and an injected dialer records what it was asked to connect to instead of connecting.
 */
import net from 'node:net';
import type { buildConnector } from 'undici';
import { ValidationError } from '../../src/errors';
import { createSender, type Resolver } from '../../src/delivery/sender';
import { parseCidrs, vetAddress } from '../../src/delivery/ssrf';
import { checkDestination } from '../../src/webhooks/webhook-service';

const BLOCKED: [string, string][] = [
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['10.0.0.1', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'link-local cloud metadata (AWS, GCP, Azure)'],
  ['169.254.0.1', 'link-local'],
  ['100.64.0.1', 'CGNAT'],
  ['100.100.100.200', 'CGNAT cloud metadata (Alibaba)'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'this network'],
  ['255.255.255.255', 'broadcast'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['240.0.0.1', 'reserved'],
  ['192.0.0.192', 'IETF protocol assignments (Oracle metadata)'],
  ['192.0.2.1', 'documentation'],
  ['198.18.0.1', 'benchmarking'],
  ['203.0.113.7', 'documentation'],
  ['::1', 'IPv6 loopback'],
  ['::', 'IPv6 unspecified'],
  ['fe80::1', 'IPv6 link-local'],
  ['fd00:ec2::254', 'IPv6 unique-local cloud metadata (AWS)'],
  ['fc00::1', 'IPv6 unique-local'],
  ['ff02::1', 'IPv6 multicast'],
  ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
  ['::ffff:10.0.0.1', 'IPv4-mapped private'],
  ['::ffff:169.254.169.254', 'IPv4-mapped metadata'],
  ['::127.0.0.1', 'IPv4-compatible loopback'],
  ['::a9fe:a9fe', 'IPv4-compatible metadata'],
  ['64:ff9b::7f00:1', 'NAT64 of loopback'],
  ['64:ff9b::a9fe:a9fe', 'NAT64 of metadata'],
  ['2002:7f00:1::1', '6to4 of loopback'],
  ['2002:c0a8:101::1', '6to4 of 192.168.1.1'],
  ['2001:db8::1', 'IPv6 documentation'],
  ['2001::1', 'Teredo'],
];

const ALLOWED = [
  '8.8.8.8',
  '1.1.1.1',
  '93.184.216.34',
  '2606:4700:4700::1111',
  '2a00:1450:4001::1',
  '::ffff:8.8.8.8',
  '64:ff9b::808:808',
  '2002:808:808::1',
];

describe('vetAddress', () => {
  test.each(BLOCKED)('blocks %s (%s) and says why', (ip) => {
    const verdict = vetAddress(ip);
    expect(verdict.allowed).toBe(false);
    if (!verdict.allowed) expect(verdict.reason).toContain(ip);
  });

  test.each(ALLOWED)('allows the public address %s', (ip) => {
    expect(vetAddress(ip)).toEqual({ allowed: true });
  });

  test('DELIVERY_ALLOWED_CIDRS opens exactly the ranges it names', () => {
    const allowed = parseCidrs('10.0.0.0/8, 127.0.0.1, fd00::/8');
    expect(vetAddress('10.1.2.3', allowed).allowed).toBe(true);
    expect(vetAddress('127.0.0.1', allowed).allowed).toBe(true);
    expect(vetAddress('127.0.0.2', allowed).allowed).toBe(false);
    expect(vetAddress('::ffff:10.1.2.3', allowed).allowed).toBe(true);
    expect(vetAddress('fd12::1', allowed).allowed).toBe(true);
    expect(vetAddress('192.168.0.1', allowed).allowed).toBe(false);
    expect(() => parseCidrs('10.0.0.0/99')).toThrow();
  });
});

describe('at creation, IP literals in any notation are refused', () => {
  test.each([
    'https://2130706433/',
    'https://0x7f000001/',
    'https://017700000001/',
    'https://0177.0.0.1/',
    'https://0x7f.1/',
    'https://127.1/',
    'https://0/',
    'https://[::1]/',
    'https://[::ffff:127.0.0.1]/',
    'https://[::ffff:7f00:1]/',
    'https://[fe80::1]/',
    'https://[64:ff9b::a9fe:a9fe]/',
    'https://169.254.169.254/latest/meta-data/',
    'https://10.0.0.1:8443/hooks',
    'https://localhost/hooks',
    'https://api.localhost/hooks',
    'https://LOCALHOST./hooks',
  ])('%s', (url) => {
    expect(() => checkDestination(url)).toThrow(ValidationError);
  });

  test('public literals and names pass (names are vetted again at send time)', () => {
    expect(() => checkDestination('https://8.8.8.8/hooks')).not.toThrow();
    expect(() => checkDestination('https://receiver.example.com/hooks')).not.toThrow();
    expect(() => checkDestination('https://localhost/hooks', parseCidrs('127.0.0.1/32'))).not.toThrow();
  });
});

describe('at send time', () => {
  function recordingDialer() {
    const dialled: { hostname: string; servername?: string | null; port: string }[] = [];
    const dial: buildConnector.connector = (opts, callback) => {
      dialled.push({ hostname: opts.hostname, servername: opts.servername, port: opts.port });
      callback(Object.assign(new Error('recorded, not connected'), { code: 'ECONNREFUSED' }), null);
    };
    return { dial, dialled };
  }

  function sender(resolve: Resolver, dial: buildConnector.connector) {
    return createSender({ timeoutMs: 2_000, maxResponseBytes: 1024, resolve, dial });
  }

  const send = (s: ReturnType<typeof sender>, url: string) => s.send({ url, headers: {}, body: '{}' });

  test('a name that resolves to a private address is blocked before any connection', async () => {
    const { dial, dialled } = recordingDialer();
    const s = sender(() => Promise.resolve(['10.0.0.5']), dial);
    const result = await send(s, 'https://internal.example.com/hooks');
    expect(result).toMatchObject({ kind: 'error', errorClass: 'blocked' });
    if (result.kind === 'error')
      expect(result.message).toBe(
        'blocked: internal.example.com resolves to 10.0.0.5 is a private address, not a public one',
      );
    expect(dialled).toEqual([]);
    await s.close();
  });

  test('a name with one private address among public ones is blocked', async () => {
    const { dial, dialled } = recordingDialer();
    const s = sender(() => Promise.resolve(['93.184.216.34', '169.254.169.254']), dial);
    expect(await send(s, 'https://mixed.example.com/')).toMatchObject({ errorClass: 'blocked' });
    expect(dialled).toEqual([]);
    await s.close();
  });

  test('DNS rebinding: the address vetted is the address dialled, with one lookup per connection', async () => {
    const { dial, dialled } = recordingDialer();
    const answers = [['93.184.216.34'], ['127.0.0.1']];
    let lookups = 0;
    const s = sender(() => Promise.resolve(answers[lookups++] ?? ['127.0.0.1']), dial);
    const result = await send(s, 'https://rebind.example.com:8443/hooks');
    expect(result).toMatchObject({ kind: 'error', errorClass: 'connection' });
    expect(lookups).toBe(1);
    expect(dialled).toEqual([{ hostname: '93.184.216.34', servername: 'rebind.example.com', port: '8443' }]);
    // The next connection resolves again, gets the private answer, and is blocked.
    expect(await send(s, 'https://rebind.example.com:8443/hooks')).toMatchObject({ errorClass: 'blocked' });
    expect(dialled).toHaveLength(1);
    await s.close();
  });

  test('IP literals skip the resolver and are vetted directly', async () => {
    const { dial, dialled } = recordingDialer();
    const resolve = jest.fn<Promise<string[]>, [string]>();
    const s = sender(resolve, dial);
    expect(await send(s, 'https://[::ffff:a9fe:a9fe]/')).toMatchObject({ errorClass: 'blocked' });
    expect(await send(s, 'https://8.8.8.8/')).toMatchObject({ errorClass: 'connection' });
    expect(resolve).not.toHaveBeenCalled();
    expect(dialled.map((d) => d.hostname)).toEqual(['8.8.8.8']);
    await s.close();
  });

  test('a real listener on a loopback address outside the allow-list sees no connection', async () => {
    let connections = 0;
    const listener = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.2', resolve));
    const { port } = listener.address() as net.AddressInfo;
    const s = createSender({ timeoutMs: 2_000, maxResponseBytes: 1024, allowedCidrs: parseCidrs('127.0.0.1/32') });
    const result = await send(s, `https://127.0.0.2:${port}/hooks`);
    expect(result).toMatchObject({ kind: 'error', errorClass: 'blocked' });
    await new Promise((r) => setTimeout(r, 200));
    expect(connections).toBe(0);
    await s.close();
    await new Promise((r) => listener.close(r));
  });
});
