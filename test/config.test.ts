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
