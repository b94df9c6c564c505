/**
 * Encryption at rest for credentials and signing secrets: AES-256-GCM with a random 96-bit IV per value.
 * Each value names the key that sealed it, so keys can rotate: new writes use the current key, old values
 * stay readable while their key is still in the ring.
 */
import crypto from 'node:crypto';
import { ConfigError } from '../errors';

export interface EncryptedValue {
  /** Key id: a short fingerprint of the key, never the key. */
  kid: string;
  iv: string;
  tag: string;
  ct: string;
}

export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  readonly currentKeyId: string;

  /** `keys[0]` encrypts; every key decrypts. Each is base64 of 32 bytes. */
  constructor(keys: string[]) {
    if (keys.length === 0) throw new ConfigError('SECRETS_KEY: at least one key is required');
    for (const encoded of keys) {
      const key = Buffer.from(encoded, 'base64');
      if (key.length !== 32) throw new ConfigError('SECRETS_KEY: each key must be base64 of exactly 32 bytes');
      this.keys.set(keyId(key), key);
    }
    this.currentKeyId = keyId(Buffer.from(keys[0] ?? '', 'base64'));
  }

  seal(plaintext: string): EncryptedValue {
    const key = this.keys.get(this.currentKeyId) as Buffer;
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return {
      kid: this.currentKeyId,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ct: ct.toString('base64'),
    };
  }

  open(value: EncryptedValue): string {
    const key = this.keys.get(value.kid);
    if (!key) {
      throw new ConfigError(
        `SECRETS_KEY: a stored secret was encrypted with key ${value.kid}, which is no longer listed; add it back after the current key`,
      );
    }
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(value.iv, 'base64'));
    decipher.setAuthTag(Buffer.from(value.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(value.ct, 'base64')), decipher.final()]).toString('utf8');
  }
}

function keyId(key: Buffer): string {
  return crypto.createHash('sha256').update(key).digest('hex').slice(0, 12);
}

export function generateSecretsKey(): string {
  return crypto.randomBytes(32).toString('base64');
}
