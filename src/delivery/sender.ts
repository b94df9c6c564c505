/**
 * Makes one HTTPS POST and reports what happened, never throwing for what the receiver or the network did:
 * a failed attempt is an expected outcome. One undici Agent per process keeps connections alive across
 * deliveries; the whole request (connect, headers, body) has one deadline; redirects are not followed; the
 * response body is read up to a cap and the rest is discarded.
 */
import dns from 'node:dns/promises';
import net from 'node:net';
import tls from 'node:tls';
import { Agent, buildConnector, request, type Dispatcher } from 'undici';
import type { AttemptErrorClass } from '../store/model';
import { SsrfBlockedError, vetAddress, type parseCidrs } from './ssrf';

/** Answers every address a hostname resolves to. Injected in tests: no test resolves a real name. */
export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await dns.lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Aborts the request (the attempt's activity was cancelled or timed out): the receiver's connection is cut. */
  signal?: AbortSignal;
  /** A deadline shorter than the sender's own (the claim's lease has less time left): a timeout like any other. */
  timeoutMs?: number;
}

export type SendResult =
  | {
      kind: 'response';
      statusCode: number;
      headers: Record<string, string>;
      body: string;
      bodyTruncated: boolean;
      durationMs: number;
    }
  | { kind: 'error'; errorClass: AttemptErrorClass; message: string; durationMs: number };

export interface SenderOptions {
  timeoutMs: number;
  maxResponseBytes: number;
  /** Trusted CAs; undefined keeps Node's defaults (bundled roots plus NODE_EXTRA_CA_CERTS). */
  ca?: string[];
  /** Connections per origin kept by the pool. */
  connectionsPerOrigin?: number;
  /** Ranges reachable despite not being public (DELIVERY_ALLOWED_CIDRS). */
  allowedCidrs?: ReturnType<typeof parseCidrs>;
  resolve?: Resolver;
  /** Opens the connection to the vetted address. Injected in tests to record what would be dialled. */
  dial?: buildConnector.connector;
}

export interface Sender {
  send(req: SendRequest): Promise<SendResult>;
  close(): Promise<void>;
}

/**
 * Resolves once, refuses the host if any of its addresses is not allowed, and connects to the vetted address
 * itself: there is no second lookup for DNS rebinding to slip through. TLS still verifies the hostname (SNI).
 */
export function guardedConnector(options: SenderOptions): buildConnector.connector {
  // One secure context for every connection: given `ca` directly, Node re-parses the whole trust store
  // (about 300 certificates, ~80 ms of CPU) for each new TLS connection.
  const secureContext = options.ca ? tls.createSecureContext({ ca: options.ca }) : undefined;
  const dial =
    options.dial ?? buildConnector({ timeout: options.timeoutMs, ...(secureContext ? { secureContext } : {}) });
  const resolve = options.resolve ?? systemResolver;
  const allowed = options.allowedCidrs ?? [];
  return (opts, callback) => {
    const host = opts.hostname.replace(/^\[|\]$/g, '');
    const literal = net.isIP(host) !== 0;
    const addresses = literal ? Promise.resolve([host]) : resolve(host);
    addresses
      .then((ips) => {
        if (ips.length === 0) throw Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' });
        for (const ip of ips) {
          const verdict = vetAddress(ip, allowed);
          if (!verdict.allowed) {
            throw new SsrfBlockedError(
              literal ? `blocked: ${verdict.reason}` : `blocked: ${host} resolves to ${verdict.reason}`,
            );
          }
        }
        const ip = ips[0];
        dial({ ...opts, hostname: ip, servername: opts.servername ?? (literal ? undefined : host) }, callback);
      })
      .catch((err: Error) => callback(err, null));
  };
}

export function createSender(options: SenderOptions): Sender {
  const agent = new Agent({
    connect: guardedConnector(options),
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    keepAliveTimeout: 30_000,
    connections: options.connectionsPerOrigin ?? 32,
  });
  return {
    send: (req) => sendOnce(agent, req, options),
    close: () => agent.close(),
  };
}

async function sendOnce(dispatcher: Dispatcher, req: SendRequest, options: SenderOptions): Promise<SendResult> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  const deadline = AbortSignal.timeout(Math.max(1, Math.min(options.timeoutMs, req.timeoutMs ?? Infinity)));
  const signal = req.signal ? AbortSignal.any([deadline, req.signal]) : deadline;
  try {
    if (req.signal?.aborted) throw abortedBy(req.signal);
    const response = await request(req.url, {
      dispatcher,
      method: 'POST',
      headers: req.headers,
      body: req.body,
      signal,
    });
    const { text, truncated } = await readCapped(response.body, options.maxResponseBytes);
    return {
      kind: 'response',
      statusCode: response.statusCode,
      headers: flattenHeaders(response.headers),
      body: text,
      bodyTruncated: truncated,
      durationMs: elapsed(),
    };
  } catch (err) {
    if (req.signal?.aborted && !deadline.aborted) {
      return {
        kind: 'error',
        errorClass: 'interrupted',
        message: 'aborted: the attempt was cancelled',
        durationMs: elapsed(),
      };
    }
    const errorClass = classifyError(err, deadline);
    return {
      kind: 'error',
      errorClass,
      message: describeError(err, errorClass, options.timeoutMs),
      durationMs: elapsed(),
    };
  }
}

function abortedBy(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

/** Reads at most `limit` bytes, then destroys the stream so a huge or endless body costs nothing more. */
async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }, limit: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of body) {
    const room = limit - size;
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room));
      size = limit;
      truncated = true;
      body.destroy();
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  // Cut on a UTF-8 boundary is not guaranteed; replacement characters are acceptable in a capped snippet.
  return { text: Buffer.concat(chunks, size).toString('utf8'), truncated };
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA']);

function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current && depth < 5; depth++) {
    const e = current as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof e.code === 'string') codes.push(e.code);
    if (typeof e.name === 'string') codes.push(e.name);
    current = e.cause;
  }
  return codes;
}

export function classifyError(err: unknown, signal?: AbortSignal): AttemptErrorClass {
  const codes = errorCodes(err);
  if (codes.includes('SsrfBlockedError')) return 'blocked';
  if (signal?.aborted || codes.some((c) => TIMEOUT_CODES.has(c) || c === 'TimeoutError' || c === 'AbortError')) {
    return 'timeout';
  }
  if (codes.some((c) => DNS_CODES.has(c))) return 'dns';
  if (codes.some((c) => /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(c))) return 'tls';
  return 'connection';
}

function describeError(err: unknown, errorClass: AttemptErrorClass, timeoutMs: number): string {
  if (errorClass === 'timeout') return `no complete response within ${timeoutMs / 1000} s`;
  if (errorClass === 'blocked') return innermostMessage(err);
  const codes = errorCodes(err).filter((c) => c !== 'Error' && c !== 'TypeError');
  return [codes[0], innermostMessage(err)].filter(Boolean).join(': ') || 'request failed';
}

function innermostMessage(err: unknown): string {
  let current: unknown = err;
  let message = '';
  while (current instanceof Error) {
    message = current.message;
    current = current.cause;
  }
  return message;
}
