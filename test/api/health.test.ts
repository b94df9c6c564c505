/** /healthz and /readyz through the real wiring (startApi) against the real servers. */
import type { MongoClient } from 'mongodb';
import { openStore, startApi, type RunningApi } from '../../src/bootstrap';
import { loadConfig } from '../../src/config';
import { generateSecretsKey } from '../../src/crypto/secret-box';
import { createLogger } from '../../src/logger';
import { uniqueId } from '../helpers/engine';
import { testEnv } from '../helpers/test-env';

let api: RunningApi;
let mongo: MongoClient;
beforeAll(async () => {
  const env = testEnv();
  const config = loadConfig({ API_PORT: '0', MONGODB_DB: uniqueId('health'), SECRETS_KEY: generateSecretsKey() });
  const opened = await openStore(config, env.mongoUri);
  mongo = opened.mongo;
  api = await startApi({
    config,
    addresses: { temporalAddress: env.temporalAddress, mongoUri: env.mongoUri },
    store: opened.store,
    logger: createLogger({ level: 'silent' }),
  });
});
afterAll(async () => {
  await api.close();
  await mongo.close().catch(() => undefined);
});

test('/healthz answers 200 with Temporal and MongoDB both ok', async () => {
  const res = await fetch(`${api.url}/healthz`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: 'ok', checks: { temporal: 'ok', mongodb: 'ok' } });
});

test('an unknown route answers 404 in the one error shape', async () => {
  const res = await fetch(`${api.url}/nope`);
  expect(res.status).toBe(404);
  expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'No such route', details: null } });
});

test('/readyz answers 503 and names the dependency that is down, while /healthz (liveness) stays 200', async () => {
  await mongo.close();
  const live = await fetch(`${api.url}/healthz`);
  expect(live.status).toBe(200);
  expect(((await live.json()) as { checks: Record<string, string> }).checks.mongodb).toMatch(/^error: /);
  const res = await fetch(`${api.url}/readyz`);
  expect(res.status).toBe(503);
  const body = (await res.json()) as { status: string; checks: Record<string, string> };
  expect(body.status).toBe('degraded');
  expect(body.checks.temporal).toBe('ok');
  expect(body.checks.mongodb).toMatch(/^error: /);
});
