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
import { Agent, request } from 'undici';
import { startSampleReceiver } from '../../src/dev/sample-receiver';
import { standardHeaders } from '../../src/delivery/standard-webhooks';
import { createLogger } from '../../src/logger';
import { tlsOptions } from '../helpers/receiver';
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

test('the sample receiver accepts our signatures over HTTPS and refuses wrong, missing or stale ones', async () => {
  const body = '{"event":"document.created","tenantId":"t","timestamp":"2025-03-10T17:53:46.000Z","doc":{"_id":"d"}}';
  const secret = 'whsec_' + Buffer.alloc(24, 1).toString('base64');
  const { cert, key } = tlsOptions();
  const receiver = await startSampleReceiver({
    port: 0,
    tls: { cert: cert.toString(), key: key.toString() },
    signingSecret: secret,
    logger: createLogger({ level: 'silent' }),
  });
  const dispatcher = new Agent({ connect: { ca: fs.readFileSync(testEnv().caFile, 'utf8') } });
  const post = async (headers: Record<string, string>) =>
    (
      await request(receiver.url, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...headers },
        dispatcher,
      })
    ).statusCode;
  const now = Math.floor(Date.now() / 1000);
  expect(await post(standardHeaders('dlv_1', now, body, [secret]))).toBe(200);
  expect(await post({ 'x-docflo-signature': docfloSignature(body, secret) })).toBe(200);
  expect(await post(standardHeaders('dlv_1', now, body, ['whsec_' + Buffer.alloc(24, 2).toString('base64')]))).toBe(
    401,
  );
  expect(await post(standardHeaders('dlv_1', now - 3600, body, [secret]))).toBe(401);
  expect(await post({ 'x-docflo-signature': docfloSignature(body, secret).slice(0, 20) })).toBe(401);
  expect(await post({})).toBe(401);
  await dispatcher.close();
  await receiver.close();
});
