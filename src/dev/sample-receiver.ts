/**
 * The development receiver: an HTTPS endpoint that checks X-Docflo-Signature over the raw body and logs each
 * delivery, so a newcomer sees deliveries arrive without writing a receiver.
 */
import crypto from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger';
import { docfloSignature } from '../delivery/signing';

export interface SampleReceiver {
  url: string;
  close(): Promise<void>;
}

export function signatureMatches(rawBody: Buffer, header: string | undefined, secret: string): boolean {
  if (!header) return false;
  const expected = Buffer.from(docfloSignature(rawBody, secret));
  const given = Buffer.from(header);
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
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
      const signed = req.headers['x-docflo-signature'];
      const valid = signatureMatches(raw, typeof signed === 'string' ? signed : undefined, options.signingSecret);
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
          signature: signed ? (valid ? 'valid' : 'INVALID') : 'absent',
        },
        `sample receiver got ${summary.event ?? 'an unparseable body'}`,
      );
      res.writeHead(signed && !valid ? 401 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(signed && !valid ? { error: 'Invalid signature' } : { received: true }));
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
