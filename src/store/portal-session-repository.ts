/**
 * Tenant portal sessions. A session is created with a single-use link token; opening the link exchanges that
 * token for a session token (the cookie). Both are `<sessionId>.<secret>`: the record is found by its ID (the
 * one lookup FerretDB answers from an index on every backend) and only SHA-256 hashes of the secrets are kept.
 */
import crypto from 'node:crypto';
import type { Collection } from 'mongodb';
import { sameText } from '../crypto/same-text';

export const PORTAL_CAPABILITIES = ['manage_endpoints', 'view_secrets'] as const;
export type PortalCapability = (typeof PORTAL_CAPABILITIES)[number];

export interface PortalTheme {
  accentColor?: string;
  logoUrl?: string;
  mode?: 'light' | 'dark';
}

export interface PortalSessionRecord {
  _id: string;
  tenantId: string;
  capabilities: PortalCapability[];
  theme: PortalTheme;
  /** Who asked for it: `admin`, or the tenant key's ID. */
  createdBy: string;
  createdAt: Date;
  linkHash: string;
  linkExpiresAt: Date;
  /** How long the session lasts once the link is opened. */
  sessionTtlSeconds: number;
  /** Set when the link was opened; from then on the link is spent. */
  exchangedAt?: Date;
  sessionHash?: string;
  /** CSRF token the portal sends back on every state change (not a secret from the store's readers). */
  csrfToken?: string;
  expiresAt?: Date;
  revokedAt?: Date;
}

const sha256 = (text: string): string => crypto.createHash('sha256').update(text).digest('hex');
const secret = (): string => crypto.randomBytes(32).toString('base64url');

/** `ps_<hex>.<secret>` split in two; undefined for anything else. */
export function splitToken(token: string): { id: string; secret: string } | undefined {
  const match = /^(ps_[0-9a-f]{24})\.([A-Za-z0-9_-]{43})$/.exec(token);
  return match ? { id: match[1] ?? '', secret: match[2] ?? '' } : undefined;
}

export type ExchangeResult = { ok: true; record: PortalSessionRecord; sessionToken: string } | { ok: false };

export class PortalSessionRepository {
  constructor(private readonly sessions: Collection<PortalSessionRecord>) {}

  async create(input: {
    tenantId: string;
    capabilities: PortalCapability[];
    theme: PortalTheme;
    createdBy: string;
    linkTtlSeconds: number;
    sessionTtlSeconds: number;
    now: Date;
  }): Promise<{ record: PortalSessionRecord; linkToken: string }> {
    const id = `ps_${crypto.randomBytes(12).toString('hex')}`;
    const linkSecret = secret();
    const record: PortalSessionRecord = {
      _id: id,
      tenantId: input.tenantId,
      capabilities: input.capabilities,
      theme: input.theme,
      createdBy: input.createdBy,
      createdAt: input.now,
      linkHash: sha256(linkSecret),
      linkExpiresAt: new Date(input.now.getTime() + input.linkTtlSeconds * 1000),
      sessionTtlSeconds: input.sessionTtlSeconds,
    };
    await this.sessions.insertOne(record);
    // Spent sessions are of no use to anyone: each new one clears its tenant's expired ones.
    await this.sessions.deleteMany({
      tenantId: input.tenantId,
      $or: [{ expiresAt: { $lt: input.now } }, { exchangedAt: { $exists: false }, linkExpiresAt: { $lt: input.now } }],
    });
    return { record, linkToken: `${id}.${linkSecret}` };
  }

  /** Spends a link: only once, only before it expires, never after a revocation. */
  async exchange(linkToken: string, now: Date): Promise<ExchangeResult> {
    const parts = splitToken(linkToken);
    if (!parts) return { ok: false };
    const found = await this.sessions.findOne({ _id: parts.id });
    if (!found || !sameText(found.linkHash, sha256(parts.secret))) return { ok: false };
    const sessionSecret = secret();
    const spent = await this.sessions.findOneAndUpdate(
      {
        _id: parts.id,
        linkHash: found.linkHash,
        exchangedAt: { $exists: false },
        revokedAt: { $exists: false },
        linkExpiresAt: { $gt: now },
      },
      {
        $set: {
          exchangedAt: now,
          sessionHash: sha256(sessionSecret),
          csrfToken: secret(),
          expiresAt: new Date(now.getTime() + found.sessionTtlSeconds * 1000),
        },
      },
      { returnDocument: 'after' },
    );
    return spent ? { ok: true, record: spent, sessionToken: `${parts.id}.${sessionSecret}` } : { ok: false };
  }

  /** The live session a cookie names, or null (unknown, wrong secret, expired, revoked). */
  async findLive(sessionToken: string, now: Date): Promise<PortalSessionRecord | null> {
    const parts = splitToken(sessionToken);
    if (!parts) return null;
    const found = await this.sessions.findOne({ _id: parts.id });
    if (!found?.sessionHash || !found.expiresAt || found.revokedAt) return null;
    if (found.expiresAt <= now || !sameText(found.sessionHash, sha256(parts.secret))) return null;
    return found;
  }

  async revoke(tenantId: string, sessionId: string, now: Date): Promise<boolean> {
    const result = await this.sessions.updateOne({ _id: sessionId, tenantId }, { $set: { revokedAt: now } });
    return result.matchedCount === 1;
  }

  async revokeAll(tenantId: string, now: Date): Promise<number> {
    const result = await this.sessions.updateMany(
      { tenantId, revokedAt: { $exists: false } },
      { $set: { revokedAt: now } },
    );
    return result.modifiedCount;
  }

  /** A tenant's sessions not yet expired, newest first (for an operator deciding what to revoke). */
  async listOpen(tenantId: string, now: Date): Promise<PortalSessionRecord[]> {
    const all = await this.sessions.find({ tenantId }).sort({ createdAt: -1 }).limit(200).toArray();
    return all.filter((s) => !s.revokedAt && (s.expiresAt ? s.expiresAt > now : s.linkExpiresAt > now));
  }

  async deleteForTenant(tenantId: string): Promise<number> {
    return (await this.sessions.deleteMany({ tenantId })).deletedCount;
  }
}
