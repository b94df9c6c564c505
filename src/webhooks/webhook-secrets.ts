/** Seals credentials and signing secrets for storage, and opens them only where a request is being built. */
import type { SecretBox } from '../crypto/secret-box';
import type { PlainAuth } from '../delivery/auth-headers';
import type { StoredAuth, WebhookRecord } from '../store/model';

export function sealAuth(auth: PlainAuth, box: SecretBox): StoredAuth {
  switch (auth.type) {
    case 'none':
      return { type: 'none' };
    case 'basic':
      return { type: 'basic', username: auth.username, password: box.seal(auth.password) };
    case 'bearer':
      return { type: 'bearer', token: box.seal(auth.token) };
    case 'apiKey':
      return { type: 'apiKey', headerName: auth.headerName, key: box.seal(auth.key) };
  }
}

export function openAuth(auth: StoredAuth, box: SecretBox): PlainAuth {
  switch (auth.type) {
    case 'none':
      return { type: 'none' };
    case 'basic':
      return { type: 'basic', username: auth.username, password: box.open(auth.password) };
    case 'bearer':
      return { type: 'bearer', token: box.open(auth.token) };
    case 'apiKey':
      return { type: 'apiKey', headerName: auth.headerName, key: box.open(auth.key) };
  }
}

/** The secrets a delivery is signed with now: the current one, then rotated-out ones still in their grace period. */
export function liveSigningSecrets(webhook: WebhookRecord, box: SecretBox, now: Date): string[] {
  if (!webhook.signingSecret) return [];
  const previous = (webhook.previousSigningSecrets ?? [])
    .filter((p) => p.expiresAt > now)
    .map((p) => box.open(p.secret));
  return [box.open(webhook.signingSecret), ...previous];
}
