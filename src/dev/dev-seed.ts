/**
 * Development data, made once and kept under the data folder: operator and platform keys, a tenant with an
 * API key, a receiver signing secret, and a few sample Docflo documents (the product page's invoice and
 * friends). Everything is idempotent, so restarts print the same keys and IDs.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ObjectId, type Db } from 'mongodb';
import type { Store } from '../store';
import type { DocfloDocument } from '../store/model';
import { sampleInvoiceFields } from '../events/sample-document';
import { hashApiKey } from '../store/tenant-repository';

export const DEV_TENANT = 'dev-tenant';

export interface DevKeys {
  adminApiKey: string;
  platformApiKey: string;
  tenantApiKey?: string;
  signingSecret: string;
}

export function loadOrCreateDevKeys(dataDir: string): DevKeys {
  const file = path.join(dataDir, 'dev-keys.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as DevKeys;
  const keys: DevKeys = {
    adminApiKey: `dev_admin_${crypto.randomBytes(18).toString('base64url')}`,
    platformApiKey: `dev_platform_${crypto.randomBytes(18).toString('base64url')}`,
    signingSecret: `whsec_${crypto.randomBytes(24).toString('base64')}`,
  };
  saveDevKeys(dataDir, keys);
  return keys;
}

function saveDevKeys(dataDir: string, keys: DevKeys): void {
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'dev-keys.json'), JSON.stringify(keys, null, 2), { mode: 0o600 });
}

/** Creates the dev tenant and its key if needed; returns the key (kept in dev-keys.json: dev only). */
export async function ensureDevTenant(store: Store, dataDir: string, keys: DevKeys): Promise<string> {
  if (!(await store.tenants.findById(DEV_TENANT))) {
    await store.tenants.create({ _id: DEV_TENANT, name: 'Development tenant', createdAt: new Date() });
  }
  if (keys.tenantApiKey && (await store.tenants.findKeyByHash(hashApiKey(keys.tenantApiKey)))) return keys.tenantApiKey;
  const { key } = await store.tenants.issueKey(DEV_TENANT, new Date());
  saveDevKeys(dataDir, { ...keys, tenantApiKey: key });
  return key;
}

const SAMPLE_IDS = ['6650a1f0c0ffee0000000001', '6650a1f0c0ffee0000000002', '6650a1f0c0ffee0000000003'];

/** Upserts the sample documents into Docflo's `documents` collection (dev only: the engine never writes it). */
export async function seedSampleDocuments(db: Db): Promise<string[]> {
  const documents = db.collection<DocfloDocument>('documents');
  const base = new Date('2025-03-10T17:50:00.000Z');
  const samples: DocfloDocument[] = [
    {
      _id: new ObjectId(SAMPLE_IDS[0]),
      tenantId: DEV_TENANT,
      type: 'invoice',
      status: 'ANALYZED',
      createdAt: base,
      updatedAt: new Date('2025-03-10T17:53:46.000Z'),
      fields: sampleInvoiceFields(),
    },
    {
      _id: new ObjectId(SAMPLE_IDS[1]),
      tenantId: DEV_TENANT,
      type: 'invoice',
      status: 'APPROVED',
      createdAt: base,
      updatedAt: base,
      fields: {
        InvoiceId: 'INV-2025-002',
        VendorName: 'Globex GmbH',
        InvoiceTotal: { Amount: 980.5, CurrencyCode: 'EUR' },
      },
    },
    {
      _id: new ObjectId(SAMPLE_IDS[2]),
      tenantId: DEV_TENANT,
      type: 'receipt',
      status: 'UPLOADED',
      createdAt: base,
      updatedAt: base,
      fields: { Merchant: 'Corner Café', Total: { Amount: 12.4, CurrencyCode: 'EUR' } },
    },
  ];
  await Promise.all(samples.map((doc) => documents.replaceOne({ _id: doc._id }, doc, { upsert: true })));
  return SAMPLE_IDS;
}

/** A file the README's curl walkthrough sources: `source .data/dev.env`. */
export function writeDevEnv(dataDir: string, values: Record<string, string>): string {
  const file = path.join(dataDir, 'dev.env');
  const lines = Object.entries(values).map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`);
  fs.writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}
