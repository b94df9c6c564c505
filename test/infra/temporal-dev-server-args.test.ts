/**
 * The dev server we start calls nothing outside the machine. Its frontend's version check looked up
 * version-info.temporal.io at every start (seen with tcpdump on the test run before this setting), so the
 * command line switches it off; tcpdump is not something a test may count on, so this checks the command line.
 */
import { devServerArgs } from '../../src/infra/temporal-dev-server';

test('the dev server listens on loopback only and never checks for new versions', () => {
  const args = devServerArgs({ port: 7233, dataDir: '/tmp/x', namespace: 'default', uiPort: 8233 });
  const pairs = new Map(args.map((arg, i) => [arg, args[i + 1]]));
  expect(pairs.get('--ip')).toBe('127.0.0.1');
  expect(pairs.get('--ui-ip')).toBe('127.0.0.1');
  expect(args.join(' ')).toContain('--dynamic-config-value frontend.enableServerVersionCheck=false');
});
