/** The headers of one delivery request: the receiver's auth first, then the engine's own, which always win. */
import { authHeaders, credentialHeaderNames, type PlainAuth } from './auth-headers';
import { docfloSignature } from './signing';
import { USER_AGENT } from '../version';

export interface DeliveryHeadersInput {
  deliveryId: string;
  event: string;
  body: string;
  auth: PlainAuth;
  signingSecret?: string;
}

export const REDACTED = '[redacted]';

export function buildDeliveryHeaders(input: DeliveryHeadersInput): Record<string, string> {
  const headers: Record<string, string> = {
    ...authHeaders(input.auth),
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'x-docflo-event': input.event,
    'x-docflo-delivery': input.deliveryId,
  };
  if (input.signingSecret) headers['x-docflo-signature'] = docfloSignature(input.body, input.signingSecret);
  return headers;
}

/** The headers as stored with the attempt: credentials replaced, the signature kept (it reveals no secret). */
export function redactHeaders(
  headers: Record<string, string>,
  auth: Pick<PlainAuth, 'type'> & { headerName?: string },
) {
  const secretNames = new Set(credentialHeaderNames(auth));
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, secretNames.has(k) ? REDACTED : v]));
}
