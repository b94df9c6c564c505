/**
 * The development receiver: an HTTPS endpoint that verifies each delivery over the raw body, answers 401 to
 * anything unverified, and logs what it got, so a newcomer sees deliveries arrive without writing a receiver.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger';
import { verifyWebhook } from '../receiver/verify';

export interface SampleReceiver {
  url: string;
  close(): Promise<void>;
}

export async function startSampleReceiver(options: {
  port: number;
  tls: { cert: string; key: string };
  signingSecret: string;
  logger: Logger;
}): Promise<SampleReceiver> {
  const log = options.logger.child({ module: 'sample-receiver' });
  const server = https.createServer(options.tls, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      // The same check our users run: Standard Webhooks headers (with replay window) or X-Docflo-Signature.
      const verdict = verifyWebhook(raw, req.headers, { secrets: options.signingSecret });
      let summary: { event?: string; tenantId?: string; doc?: { _id?: string; type?: string } } = {};
      try {
        summary = JSON.parse(raw.toString('utf8')) as typeof summary;
      } catch {
        // logged below as unparseable
      }
      log.info(
        {
          delivery: req.headers['x-docflo-delivery'],
          event: summary.event,
          tenantId: summary.tenantId,
          documentId: summary.doc?._id,
          signature: verdict.ok ? `valid (${verdict.scheme})` : `INVALID: ${verdict.reason}`,
        },
        `sample receiver got ${summary.event ?? 'an unparseable body'}`,
      );
      res.writeHead(verdict.ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(verdict.ok ? { received: true } : { error: 'Invalid signature', reason: verdict.reason }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}/webhooks/docflo`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
