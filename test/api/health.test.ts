/** /healthz and /readyz through the real wiring (startApi) against the real servers. */
import type { MongoClient } from 'mongodb';
import { openStore, startApi, type RunningApi } from '../../src/bootstrap';
import { loadConfig } from '../../src/config';
import { generateSecretsKey } from '../../src/crypto/secret-box';
import { createLogger } from '../../src/logger';
import { uniqueId } from '../helpers/engine';
import { startMongoWireProxy, type MongoWireProxy } from '../helpers/mongo-wire-proxy';
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

describe('a store that answers ping but no query (FerretDB with its backend connections all held)', () => {
  let proxy: MongoWireProxy;
  let wedgedApi: RunningApi;
  let wedgedMongo: MongoClient;
  const lines: string[] = [];
  const BOUND_MS = 1_000;

  beforeAll(async () => {
    const env = testEnv();
    proxy = await startMongoWireProxy(env.mongoUri);
    const config = loadConfig({
      API_PORT: '0',
      MONGODB_DB: uniqueId('health-wedged'),
      SECRETS_KEY: generateSecretsKey(),
      MONGODB_TIMEOUT_MS: String(BOUND_MS),
    });
    const logger = createLogger({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const opened = await openStore(config, proxy.uri, { logger });
    wedgedMongo = opened.mongo;
    wedgedApi = await startApi({
      config,
      addresses: { temporalAddress: env.temporalAddress, mongoUri: proxy.uri },
      store: opened.store,
      logger,
    });
  });
  afterAll(async () => {
    proxy.release();
    await wedgedApi.close();
    await wedgedMongo.close().catch(() => undefined);
    await proxy.close();
  });

  test('/readyz answers 503 within MONGODB_TIMEOUT_MS, and a metric and a log line say store calls time out', async () => {
    expect((await fetch(`${wedgedApi.url}/readyz`)).status).toBe(200);
    proxy.hold((command) => !['', 'hello', 'isMaster', 'ismaster', 'ping', 'endSessions'].includes(command.name));
    // A wedged FerretDB still answers ping: a check that only pings would say ok here.
    await wedgedMongo.db('admin').command({ ping: 1 });

    const started = Date.now();
    const res = await fetch(`${wedgedApi.url}/readyz`);
    const tookMs = Date.now() - started;
    expect(res.status).toBe(503);
    expect(tookMs).toBeLessThan(BOUND_MS + 1_500);
    const body = (await res.json()) as { checks: Record<string, string> };
    expect(body.checks.mongodb).toMatch(/^error: /);
    expect(body.checks.temporal).toBe('ok');
    expect(proxy.held().some((command) => command.name === 'find' && command.collection === 'webhooks')).toBe(true);

    // A command still held past the bound: the watch reports it as stalled.
    const stuck = wedgedMongo.db(uniqueId('held')).collection('x').findOne({});
    await new Promise((resolve) => setTimeout(resolve, BOUND_MS * 2));
    const metrics = await (await fetch(`${wedgedApi.url}/metrics`)).text();
    expect(Number(/^docflo_store_commands_stalled (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(/^docflo_store_commands_timed_out_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
    expect(lines.some((line) => line.includes('store calls are timing out'))).toBe(true);

    proxy.release();
    await stuck;
    expect((await fetch(`${wedgedApi.url}/readyz`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, BOUND_MS));
    expect(lines.some((line) => line.includes('store calls answer again'))).toBe(true);
  });
});
