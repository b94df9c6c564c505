import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_RETRY_SCHEDULE_SECONDS,
  loadConfig,
  requiredVariables,
  requireFor,
  retryScheduleOf,
} from '../src/config';
import { ConfigError } from '../src/errors';
import { ENGINE_VERSION } from '../src/version';

describe('loadConfig', () => {
  test('has working defaults', () => {
    const config = loadConfig({});
    expect(config.TEMPORAL_NAMESPACE).toBe('default');
    expect(config.TEMPORAL_PORT).toBe(7233);
    expect(config.TEMPORAL_UI_PORT).toBe(8233);
    expect(config.DELIVERY_TIMEOUT_MS).toBe(30_000);
    expect(retryScheduleOf(config)).toEqual(DEFAULT_RETRY_SCHEDULE_SECONDS);
    expect(DEFAULT_RETRY_SCHEDULE_SECONDS).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
  });

  test('reads the retry schedule as comma-separated seconds', () => {
    expect(retryScheduleOf(loadConfig({ DELIVERY_RETRY_SCHEDULE: '1, 2,3' }))).toEqual([1, 2, 3]);
  });

  test('names every bad variable at once', () => {
    expect(() =>
      loadConfig({ API_PORT: 'http', DELIVERY_RETRY_SCHEDULE: '5,soon', SECRETS_KEY: 'short', LOG_LEVEL: 'loud' }),
    ).toThrow(/API_PORT[\s\S]*LOG_LEVEL|LOG_LEVEL[\s\S]*API_PORT/);
    try {
      loadConfig({ API_PORT: 'http', DELIVERY_RETRY_SCHEDULE: '5,soon', SECRETS_KEY: 'short' });
    } catch (err) {
      const message = (err as Error).message;
      for (const name of ['API_PORT', 'DELIVERY_RETRY_SCHEDULE', 'SECRETS_KEY']) expect(message).toContain(name);
    }
  });

  test('DELIVERY_ALLOWED_CIDRS must be addresses or ranges', () => {
    expect(loadConfig({ DELIVERY_ALLOWED_CIDRS: '10.0.0.0/8, ::1' }).DELIVERY_ALLOWED_CIDRS).toBe('10.0.0.0/8, ::1');
    expect(() => loadConfig({ DELIVERY_ALLOWED_CIDRS: '10.0.0.0/99' })).toThrow(/DELIVERY_ALLOWED_CIDRS/);
    expect(() => loadConfig({ DELIVERY_ALLOWED_CIDRS: 'intranet' })).toThrow(/DELIVERY_ALLOWED_CIDRS/);
  });

  test('FERRETDB_POSTGRESQL_URL must be a postgres:// URL, and then MONGODB_DB must not start with "pg"', () => {
    const url = 'postgres://postgres@127.0.0.1:5432/postgres';
    expect(loadConfig({ FERRETDB_POSTGRESQL_URL: url }).FERRETDB_POSTGRESQL_URL).toBe(url);
    expect(() => loadConfig({ FERRETDB_POSTGRESQL_URL: 'mysql://x' })).toThrow(/FERRETDB_POSTGRESQL_URL/);
    expect(() => loadConfig({ FERRETDB_POSTGRESQL_URL: url, MONGODB_DB: 'pgdocs' })).toThrow(/MONGODB_DB/);
    // Only the locally started FerretDB is concerned, and SQLite has no such limit.
    expect(
      loadConfig({ FERRETDB_POSTGRESQL_URL: url, MONGODB_DB: 'pgdocs', MONGODB_URI: 'mongodb://x/' }),
    ).toBeDefined();
    expect(loadConfig({ MONGODB_DB: 'pgdocs' }).MONGODB_DB).toBe('pgdocs');
  });

  test('treats empty variables as unset', () => {
    expect(loadConfig({ TEMPORAL_ADDRESS: '', MONGODB_URI: '  ' })).toMatchObject({
      TEMPORAL_ADDRESS: undefined,
      MONGODB_URI: undefined,
    });
  });
});

test('the User-Agent version is the package version', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  expect(ENGINE_VERSION).toBe(pkg.version);
});

test('production entry points name every variable they need that is missing, from the schema marks', () => {
  expect(requiredVariables('worker').sort()).toEqual(['MONGODB_URI', 'SECRETS_KEY', 'TEMPORAL_ADDRESS']);
  expect(requiredVariables('api').sort()).toEqual([
    'ADMIN_API_KEY',
    'MONGODB_URI',
    'PLATFORM_API_KEY',
    'SECRETS_KEY',
    'TEMPORAL_ADDRESS',
  ]);
  const missing = (() => {
    try {
      requireFor(loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233' }), 'api');
    } catch (err) {
      return err;
    }
    return undefined;
  })();
  expect(missing).toBeInstanceOf(ConfigError);
  expect((missing as Error).message).toMatch(/MONGODB_URI: required[\s\S]*ADMIN_API_KEY[\s\S]*SECRETS_KEY/);
  expect((missing as Error).message).not.toMatch(/TEMPORAL_ADDRESS/);
  expect(() =>
    requireFor(
      loadConfig({
        TEMPORAL_ADDRESS: 't:1',
        MONGODB_URI: 'mongodb://m',
        SECRETS_KEY: Buffer.alloc(32).toString('base64'),
      }),
      'worker',
    ),
  ).not.toThrow();
});

test('the occurredAt window of published events defaults to 7 days before and 5 minutes after now', () => {
  expect(loadConfig({})).toMatchObject({
    EVENT_OCCURRED_AT_MAX_AGE_SECONDS: 604800,
    EVENT_OCCURRED_AT_MAX_FUTURE_SECONDS: 300,
  });
  expect(loadConfig({ EVENT_OCCURRED_AT_MAX_AGE_SECONDS: '60' }).EVENT_OCCURRED_AT_MAX_AGE_SECONDS).toBe(60);
  expect(() => loadConfig({ EVENT_OCCURRED_AT_MAX_FUTURE_SECONDS: '-1' })).toThrow(/EVENT_OCCURRED_AT_MAX_FUTURE/);
});

describe('the limits behind a proxy', () => {
  test('failed authentications default to 100 a minute per client address', () => {
    expect(loadConfig({}).API_AUTH_FAILURES_PER_MINUTE).toBe(100);
    expect(() => loadConfig({ API_AUTH_FAILURES_PER_MINUTE: '0' })).toThrow(/API_AUTH_FAILURES_PER_MINUTE/);
  });

  test('API_TRUST_PROXY is off by default, and takes a hop count or proxy addresses', () => {
    expect(loadConfig({}).API_TRUST_PROXY).toBe(false);
    expect(loadConfig({ API_TRUST_PROXY: 'false' }).API_TRUST_PROXY).toBe(false);
    expect(loadConfig({ API_TRUST_PROXY: '0' }).API_TRUST_PROXY).toBe(false);
    expect(loadConfig({ API_TRUST_PROXY: '2' }).API_TRUST_PROXY).toBe(2);
    expect(loadConfig({ API_TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::1' }).API_TRUST_PROXY).toEqual([
      'loopback',
      '10.0.0.0/8',
      'fd00::1',
    ]);
  });

  test('API_TRUST_PROXY=true is refused: any client could choose its own address', () => {
    expect(() => loadConfig({ API_TRUST_PROXY: 'true' })).toThrow(/API_TRUST_PROXY: true would trust any/);
    expect(() => loadConfig({ API_TRUST_PROXY: 'proxy.internal' })).toThrow(/API_TRUST_PROXY/);
  });
});

test('an entry point given a bad variable exits 1 with the message naming it, and no stack trace', () => {
  const root = path.resolve(__dirname, '..');
  for (const entry of ['worker', 'server', 'dev']) {
    const run = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', `src/${entry}.ts`], {
      cwd: root,
      env: { ...process.env, FERRETDB_POSTGRESQL_URL: 'mysql://x' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect([entry, run.status]).toEqual([entry, 1]);
    expect(run.stderr).toContain('FERRETDB_POSTGRESQL_URL: must be a postgres:// URL');
    expect(run.stderr).not.toMatch(/^\s+at /m);
  }
}, 60_000);
