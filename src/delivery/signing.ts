/** The product page's signature: `X-Docflo-Signature: sha256=<hex HMAC-SHA256 of the exact body>`. */
import crypto from 'node:crypto';

export function docfloSignature(body: string | Buffer, secret: string): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;
}
