/** The local infrastructure fails with messages that name the fix. */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { InfraError } from '../../src/errors';
import { ensureFerretDb, ensureTemporalCli, type ToolLocation } from '../../src/infra/binaries';
import { assertPortFree } from '../../src/infra/ports';
import { startSupervised } from '../../src/infra/supervised-process';
import { startTemporalDevServer } from '../../src/infra/temporal-dev-server';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docflo-infra-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function location(overrides: Partial<ToolLocation> = {}): ToolLocation {
  return {
    explicitVariable: 'TEMPORAL_CLI_PATH',
    searchPath: '',
    toolsDir: path.join(dir, 'tools'),
    say: () => undefined,
    goFallbackDirs: [],
    ...overrides,
  };
}

async function infraError(promise: Promise<unknown>): Promise<InfraError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof InfraError) return err;
    throw err;
  }
  throw new Error('expected an InfraError');
}

test('without Go, the error says to install Go 1.25+ or point TEMPORAL_ADDRESS / MONGODB_URI at a server', async () => {
  const temporal = await infraError(ensureTemporalCli(location()));
  expect(temporal.code).toBe('GO_MISSING');
  expect(temporal.message).toMatch(/install Go >= 1\.25/);
  expect(temporal.message).toContain('TEMPORAL_ADDRESS');
  const ferret = await infraError(ensureFerretDb(location({ explicitVariable: 'FERRETDB_PATH' })));
  expect(ferret.message).toContain('MONGODB_URI');
});

test('a Go older than 1.25 is refused with the same fix', async () => {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'go'), '#!/bin/sh\necho "go version go1.21.0 linux/amd64"\n', { mode: 0o755 });
  const err = await infraError(ensureTemporalCli(location({ searchPath: bin })));
  expect(err.code).toBe('GO_TOO_OLD');
  expect(err.message).toContain('go1.21.0');
});

test('an explicit binary path that does not exist names its variable', async () => {
  const err = await infraError(ensureTemporalCli(location({ explicitPath: path.join(dir, 'nope') })));
  expect(err.code).toBe('TOOL_PATH_INVALID');
  expect(err.message).toContain('TEMPORAL_CLI_PATH');
});

test('a taken port names the port and the variable that moves it', async () => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const err = await infraError(assertPortFree(port, 'TEMPORAL_PORT'));
  expect(err.code).toBe('PORT_IN_USE');
  expect(err.message).toContain(String(port));
  expect(err.message).toContain('TEMPORAL_PORT');
  await new Promise((r) => server.close(r));
});

test('a dev server that exits at once fails fast with its output and the fix', async () => {
  const fake = path.join(dir, 'temporal');
  fs.writeFileSync(fake, '#!/bin/sh\necho "bind: address already in use" >&2\nexit 3\n', { mode: 0o755 });
  const started = Date.now();
  const err = await infraError(startTemporalDevServer({ binary: fake, dataDir: dir, namespace: 'default', port: 1 }));
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(err.code).toBe('TEMPORAL_START_FAILED');
  expect(err.message).toContain('exited with code 3');
  expect(err.message).toContain('address already in use');
  expect(err.message).toContain('TEMPORAL_ADDRESS');
});

test('a supervised server stops when asked', async () => {
  const proc = startSupervised({ name: 'sleeper', command: 'sleep', args: ['300'], logFile: path.join(dir, 'log') });
  expect(proc.exitReason()).toBeUndefined();
  await proc.stop();
  expect(proc.exitReason()).toBeDefined();
});

test('a supervised server dies with its parent, even when the parent is killed with SIGKILL', async () => {
  const pidFile = path.join(dir, 'sleeper.pid');
  const parent = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', path.join(__dirname, '..', 'fixtures', 'supervise-sleeper.ts'), pidFile],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) => parent.stdout.once('data', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!fs.existsSync(pidFile) || fs.readFileSync(pidFile, 'utf8').trim() === '') {
    if (Date.now() > deadline) throw new Error('sleeper did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  const sleeperPid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  expect(isAlive(sleeperPid)).toBe(true);

  parent.kill('SIGKILL');
  const gone = Date.now() + 10_000;
  while (isAlive(sleeperPid) && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
  expect(isAlive(sleeperPid)).toBe(false);
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0); it is dead for our purpose.
  try {
    return !/^\S+\s+\S+\s+Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/\(.*\)/, 'x'));
  } catch {
    return false;
  }
}

test('the built binaries run', async () => {
  const run = promisify(execFile);
  const tools = path.resolve(__dirname, '..', '..', '.tools', 'bin');
  for (const binary of ['temporal', 'ferretdb']) {
    const file = path.join(tools, binary);
    if (!fs.existsSync(file)) continue; // servers given by TEMPORAL_ADDRESS / MONGODB_URI: nothing was built
    const { stdout } = await run(file, ['--version']);
    expect(stdout).toMatch(binary === 'temporal' ? /Server 1\.\d+/ : /v1\.24\.2/);
  }
});
