/** Tenants and their API keys. Keys are stored as SHA-256 hashes: a leaked database reveals no usable key. */
import crypto from 'node:crypto';
import { ConflictError, ConflictStateError } from '../errors';
import { MongoServerError, type Collection } from 'mongodb';

export interface TenantRecord {
  _id: string;
  name: string;
  /** Days its finished deliveries, their attempts and events are kept; absent: RETENTION_DAYS. */
  retentionDays?: number;
  /** Set when its erasure began (DELETE /v1/tenants/{id}): it takes no new key, event or change from then on. */
  erasureId?: string;
  createdAt: Date;
}

export interface ApiKeyRecord {
  _id: string;
  tenantId: string;
  /** SHA-256 hex of the whole key. */
  hash: string;
  /** The first characters, to tell keys apart in listings. */
  prefix: string;
  createdAt: Date;
}

export function hashApiKey(key: string): string {
  return crypto.createHash('sha256').update(key).digest('hex');
}

export class TenantRepository {
  constructor(
    private readonly tenants: Collection<TenantRecord>,
    private readonly apiKeys: Collection<ApiKeyRecord>,
  ) {}

  async create(record: TenantRecord): Promise<TenantRecord> {
    try {
      await this.tenants.insertOne(record);
      return record;
    } catch (err) {
      if (err instanceof MongoServerError && err.code === 11000) throw new ConflictError(`tenant ${record._id} exists`);
      throw err;
    }
  }

  async findById(id: string): Promise<TenantRecord | null> {
    return this.tenants.findOne({ _id: id });
  }

  /** Sets (or, with null, removes) the tenant's own retention; null when there is no such tenant. */
  async setRetention(id: string, retentionDays: number | null): Promise<TenantRecord | null> {
    const update = retentionDays === null ? { $unset: { retentionDays: '' as const } } : { $set: { retentionDays } };
    return this.tenants.findOneAndUpdate({ _id: id }, update, { returnDocument: 'after' });
  }

  /** Makes a key, stores its hash, and returns the key itself: the only time it is ever seen. */
  async issueKey(tenantId: string, now: Date): Promise<{ record: ApiKeyRecord; key: string }> {
    const id = `key_${crypto.randomBytes(8).toString('hex')}`;
    const key = `dfk_${crypto.randomBytes(24).toString('base64url')}`;
    const record: ApiKeyRecord = { _id: id, tenantId, hash: hashApiKey(key), prefix: key.slice(0, 8), createdAt: now };
    await this.apiKeys.insertOne(record);
    // An erasure that began meanwhile revoked the tenant's keys before this one existed: take it back.
    if ((await this.tenants.findOne({ _id: tenantId }, { projection: { erasureId: 1 } }))?.erasureId) {
      await this.apiKeys.deleteOne({ _id: id });
      throw new ConflictStateError(`tenant ${tenantId} is being erased`, 'tenant_erasing');
    }
    return { record, key };
  }

  async revokeKey(tenantId: string, keyId: string): Promise<boolean> {
    const result = await this.apiKeys.deleteOne({ _id: keyId, tenantId });
    return result.deletedCount === 1;
  }

  async findKeyByHash(hash: string): Promise<ApiKeyRecord | null> {
    return this.apiKeys.findOne({ hash });
  }
}
