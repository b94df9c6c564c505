/**
 * The SSRF guard: which addresses a webhook may reach. Only globally routable unicast addresses pass, unless
 * an operator allows a range (DELIVERY_ALLOWED_CIDRS) for private deployments, development and tests.
 * IPv6 forms that embed an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by that IPv4 address.
 */
import ipaddr from 'ipaddr.js';

export type Verdict = { allowed: true } | { allowed: false; reason: string };

export class SsrfBlockedError extends Error {
  readonly code = 'SSRF_BLOCKED';
  constructor(message: string) {
    super(message);
    this.name = 'SsrfBlockedError';
  }
}

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

export function parseCidrs(list: string | undefined): Cidr[] {
  if (!list) return [];
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((cidr) =>
      cidr.includes('/')
        ? ipaddr.parseCIDR(cidr)
        : ([ipaddr.parse(cidr), ipaddr.parse(cidr).kind() === 'ipv4' ? 32 : 128] as Cidr),
    );
}

/** The IPv4 address an IPv6 address carries, for the forms that route to it. */
function embeddedIPv4(v6: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const bytes = v6.toByteArray();
  const last4 = (from: number) => new ipaddr.IPv4(bytes.slice(from, from + 4));
  const range = v6.range();
  if (range === 'ipv4Mapped' || range === 'rfc6145' || range === 'rfc6052') return last4(12);
  if (range === '6to4') return last4(2);
  // IPv4-compatible (::a.b.c.d, deprecated but still routed by some stacks).
  if (bytes.slice(0, 12).every((b) => b === 0) && bytes.slice(12).some((b) => b !== 0)) return last4(12);
  return undefined;
}

function inAllowed(address: ipaddr.IPv4 | ipaddr.IPv6, allowed: Cidr[]): boolean {
  return allowed.some(([net, bits]) => address.kind() === net.kind() && address.match([net, bits] as never));
}

export function vetAddress(ip: string, allowed: Cidr[] = []): Verdict {
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = ipaddr.parse(ip);
  } catch {
    return { allowed: false, reason: `${ip} is not an IP address` };
  }
  if (inAllowed(address, allowed)) return { allowed: true };
  if (address.kind() === 'ipv6') {
    const v6 = address as ipaddr.IPv6;
    const embedded = embeddedIPv4(v6);
    if (embedded) {
      const inner = vetAddress(embedded.toString(), allowed);
      return inner.allowed ? inner : { allowed: false, reason: `${ip} embeds ${embedded.toString()}: ${inner.reason}` };
    }
  }
  const range = address.range();
  if (range === 'unicast') return { allowed: true };
  return { allowed: false, reason: `${ip} is a ${range} address, not a public one` };
}
