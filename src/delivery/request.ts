/** The headers of one delivery request: the receiver's auth first, then the engine's own, which always win. */
import { authHeaders, credentialHeaderNames, type PlainAuth } from './auth-headers';
import { docfloSignature } from './signing';
import { standardHeaders } from './standard-webhooks';
import { USER_AGENT } from '../version';

export interface DeliveryHeadersInput {
  deliveryId: string;
  /** The attempt's number (1, 2, …): each is sent at most once. Absent for v1 attempts. */
  attempt?: number;
  event: string;
  body: string;
  auth: PlainAuth;
  /** Live signing secrets, newest first: X-Docflo-Signature uses the newest, webhook-signature all of them. */
  signingSecrets: string[];
  /** Unix seconds of this attempt, for webhook-timestamp. */
  timestamp: number;
}

export const REDACTED = '[redacted]';

export function buildDeliveryHeaders(input: DeliveryHeadersInput): Record<string, string> {
  const headers: Record<string, string> = {
    ...authHeaders(input.auth),
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'x-docflo-event': input.event,
    'x-docflo-delivery': input.deliveryId,
    ...(input.attempt !== undefined ? { 'x-docflo-attempt': String(input.attempt) } : {}),
    ...standardHeaders(input.deliveryId, input.timestamp, input.body, input.signingSecrets),
  };
  const newest = input.signingSecrets[0];
  if (newest) headers['x-docflo-signature'] = docfloSignature(input.body, newest);
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
