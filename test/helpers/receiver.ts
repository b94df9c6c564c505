/**
 * A real HTTPS receiver on 127.0.0.1 with the test CA's certificate. Records every request with its raw body;
 * how it answers is scripted per test.
 */
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';
import { testEnv } from './test-env';

/** Every server a test opened is closed after it, even when an assertion failed half-way. */
const open = new Set<https.Server>();
afterEach(async () => {
  await Promise.all([...open].map((server) => closeServer(server)));
});

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  rawBody: string;
  receivedAt: number;
}

export interface Reply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering (a slow receiver). */
  delayMs?: number;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /** Resolves once `count` requests have arrived. */
  waitForRequests(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export function tlsOptions(): { key: Buffer; cert: Buffer } {
  const env = testEnv();
  return { key: fs.readFileSync(env.keyFile), cert: fs.readFileSync(env.certFile) };
}

/** Starts an HTTPS server around any request listener (e.g. an Express app) on a free loopback port. */
export async function listenHttps(listener: RequestListener, at = 0): Promise<{ url: string; server: https.Server }> {
  const server = https.createServer(tlsOptions(), listener);
  await new Promise<void>((resolve) => server.listen(at, '127.0.0.1', resolve));
  open.add(server);
  const { port } = server.address() as AddressInfo;
  return { url: `https://127.0.0.1:${port}`, server };
}

export async function closeServer(server: https.Server): Promise<void> {
  if (!open.delete(server)) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** `port`: listen there (an endpoint that comes back where it was); 0 picks a free one. */
export async function startReceiver(
  reply: (req: ReceivedRequest, index: number) => Reply = () => ({ status: 200 }),
  port = 0,
) {
  const requests: ReceivedRequest[] = [];
  const waiters: (() => void)[] = [];
  const { url, server } = await listenHttps((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: Object.fromEntries(
          Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
        ),
        rawBody: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
      };
      const answer = reply(received, requests.length);
      requests.push(received);
      waiters.splice(0).forEach((w) => w());
      const send = (): void => {
        if (res.destroyed) return;
        res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
        res.end(answer.body ?? 'ok');
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs).unref();
      else send();
    });
  }, port);

  const receiver: Receiver = {
    url: `${url}/hooks`,
    requests,
    async waitForRequests(count, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < count) {
        const remaining = deadline - Date.now();
        if (remaining <= 0)
          throw new Error(`expected ${count} requests, got ${requests.length} within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, remaining);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return requests.slice(0, count);
    },
    close: () => closeServer(server),
  };
  return receiver;
}
