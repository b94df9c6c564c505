/** npm run dev's seed and sample receiver: idempotent seed, and a receiver that tells good signatures from bad. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MongoClient } from 'mongodb';
import { docfloSignature } from '../../src/delivery/signing';
import {
  DEV_TENANT,
  ensureDevTenant,
  loadOrCreateDevKeys,
  seedSampleDocuments,
  writeDevEnv,
} from '../../src/dev/dev-seed';
import { signatureMatches } from '../../src/dev/sample-receiver';
import { createStore } from '../../src/store';
import { hashApiKey } from '../../src/store/tenant-repository';
import { connectMongo, ensureIndexes } from '../../src/store/mongo';
import { uniqueId } from '../helpers/engine';
import { testEnv } from '../helpers/test-env';

let mongo: MongoClient;
let dir: string;
const dbName = uniqueId('devseed');
beforeAll(async () => {
  mongo = await connectMongo(testEnv().mongoUri);
  await ensureIndexes(mongo.db(dbName));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docflo-dev-'));
});
afterAll(async () => {
  await mongo.db(dbName).dropDatabase();
  await mongo.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a restart keeps the same keys, tenant key and documents', async () => {
  const store = createStore(mongo.db(dbName));
  const keys = loadOrCreateDevKeys(dir);
  const tenantKey = await ensureDevTenant(store, dir, keys);
  const ids = await seedSampleDocuments(mongo.db(dbName));

  const again = loadOrCreateDevKeys(dir);
  expect(again.adminApiKey).toBe(keys.adminApiKey);
  expect(again.signingSecret).toBe(keys.signingSecret);
  expect(await ensureDevTenant(store, dir, again)).toBe(tenantKey);
  expect(await seedSampleDocuments(mongo.db(dbName))).toEqual(ids);
  expect(await mongo.db(dbName).collection('documents').countDocuments({ tenantId: DEV_TENANT })).toBe(3);
  expect((await store.tenants.findKeyByHash(hashApiKey(tenantKey)))?.tenantId).toBe(DEV_TENANT);
  expect(fs.statSync(path.join(dir, 'dev-keys.json')).mode & 0o077).toBe(0);

  const envFile = writeDevEnv(dir, { KEY: "it's quoted" });
  expect(fs.readFileSync(envFile, 'utf8')).toBe("export KEY='it'\\''s quoted'\n");
});

test('the sample receiver accepts our signature and refuses a wrong, missing or truncated one', () => {
  const body = Buffer.from('{"event":"document.created"}');
  const good = docfloSignature(body, 'whsec_dev');
  expect(signatureMatches(body, good, 'whsec_dev')).toBe(true);
  expect(signatureMatches(body, docfloSignature(body, 'other'), 'whsec_dev')).toBe(false);
  expect(signatureMatches(body, undefined, 'whsec_dev')).toBe(false);
  expect(signatureMatches(body, good.slice(0, 20), 'whsec_dev')).toBe(false);
  expect(signatureMatches(Buffer.from('{"event":"document.approved"}'), good, 'whsec_dev')).toBe(false);
});
