/**
 * Finds the Temporal CLI and FerretDB binaries, building them from their Go modules on first use.
 * Order: an explicit path (env var), then PATH, then the project's gitignored tools folder.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { InfraError } from '../errors';

const run = promisify(execFile);

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
export const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
export const FERRETDB_VERSION = 'v1.24.2';
const MIN_GO_MINOR = 25;

export interface ToolLocation {
  /** Path given by the user (TEMPORAL_CLI_PATH / FERRETDB_PATH); must exist if set. */
  explicitPath?: string;
  /** Name of the variable behind explicitPath, for error messages. */
  explicitVariable: string;
  /** The PATH to search (passed in: only entry points read the environment). */
  searchPath: string;
  /** Absolute tools folder; binaries go to <toolsDir>/bin. */
  toolsDir: string;
  /** Progress messages for the user (a first build takes minutes). */
  say: (message: string) => void;
  /** Where to look for Go besides PATH; its official installer does not always add itself to PATH. */
  goFallbackDirs?: string[];
}

const GO_FALLBACK_DIRS = ['/usr/local/go/bin'];

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function findOnPath(binary: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, binary);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Verifies a Go toolchain ≥ 1.25 is on PATH; otherwise the error says how to do without one. */
export async function requireGo(
  searchPath: string,
  serverVariable: string,
  fallbackDirs: string[] = GO_FALLBACK_DIRS,
): Promise<string> {
  const fix = `install Go >= 1.${MIN_GO_MINOR} (https://go.dev/dl), or set ${serverVariable} to use a server you already run.`;
  const go = findOnPath('go', [searchPath, ...fallbackDirs].join(path.delimiter));
  if (!go) throw new InfraError('GO_MISSING', 'No Go toolchain found on PATH to build the local server.', fix);
  const { stdout } = await run(go, ['version']);
  const match = /go1\.(\d+)/.exec(stdout);
  if (!match || Number(match[1]) < MIN_GO_MINOR) {
    throw new InfraError(
      'GO_TOO_OLD',
      `Found ${stdout.trim()}, but building the local server needs Go 1.${MIN_GO_MINOR}+.`,
      fix,
    );
  }
  return go;
}

async function locate(binary: string, location: ToolLocation): Promise<string | undefined> {
  if (location.explicitPath) {
    const resolved = path.resolve(location.explicitPath);
    if (!isExecutable(resolved)) {
      throw new InfraError(
        'TOOL_PATH_INVALID',
        `${location.explicitVariable}=${location.explicitPath} is not an executable file.`,
        `point ${location.explicitVariable} at the ${binary} binary, or unset it to build one automatically.`,
      );
    }
    return resolved;
  }
  const onPath = findOnPath(binary, location.searchPath);
  if (onPath) return onPath;
  const built = toolPath(binary, location);
  if (!isExecutable(built)) return undefined;
  // A binary left by an interrupted or broken earlier build is rebuilt rather than trusted.
  if (await runsVersion(built)) return built;
  location.say(`${built} does not run; rebuilding it.`);
  fs.rmSync(built, { force: true });
  return undefined;
}

async function runsVersion(binary: string): Promise<boolean> {
  try {
    await run(binary, ['--version'], { timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

function toolPath(binary: string, location: ToolLocation): string {
  return path.join(location.toolsDir, 'bin', binary);
}

function goEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  // GOTOOLCHAIN=local: never fetch another toolchain behind the user's back.
  return { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-buildvcs=false', ...extra };
}

function buildFailed(binary: string, err: unknown, serverVariable: string): never {
  const stderr = (err as { stderr?: string }).stderr ?? String(err);
  throw new InfraError(
    'TOOL_BUILD_FAILED',
    `Building ${binary} with Go failed:\n${stderr.trim().split('\n').slice(-15).join('\n')}`,
    `check that the Go module proxy is reachable (GOPROXY), or set ${serverVariable} to use a server you already run.`,
    { cause: err },
  );
}

/** The Temporal CLI, which carries the dev server and its Web UI. */
export async function ensureTemporalCli(location: ToolLocation): Promise<string> {
  const found = await locate('temporal', location);
  if (found) return found;
  const go = await requireGo(location.searchPath, 'TEMPORAL_ADDRESS', location.goFallbackDirs);
  const target = toolPath('temporal', location);
  location.say(`Building the Temporal CLI (${TEMPORAL_CLI_MODULE}) into ${target}: a one-time build, a few minutes...`);
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'docflo-temporal-'));
  try {
    await run(go, ['install', TEMPORAL_CLI_MODULE], { env: goEnv({ GOBIN: staging }), maxBuffer: 64 << 20 });
    installAtomically(path.join(staging, 'temporal'), target);
  } catch (err) {
    buildFailed('the Temporal CLI', err, 'TEMPORAL_ADDRESS');
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return target;
}

/**
 * FerretDB. `go install …/cmd/ferretdb@v1.24.2` builds a binary that panics at start: the module lacks the
 * generated build/version/version.txt its own release process writes. So we build from a copy of the module
 * with that one file added, exactly as FerretDB's `task gen-version` would.
 */
export async function ensureFerretDb(location: ToolLocation): Promise<string> {
  const found = await locate('ferretdb', location);
  if (found) return found;
  const go = await requireGo(location.searchPath, 'MONGODB_URI', location.goFallbackDirs);
  const target = toolPath('ferretdb', location);
  location.say(`Building FerretDB ${FERRETDB_VERSION} into ${target}: a one-time build, a few minutes...`);
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'docflo-ferretdb-'));
  try {
    const { stdout } = await run(go, ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], {
      env: goEnv({}),
      maxBuffer: 16 << 20,
    });
    const moduleDir = (JSON.parse(stdout) as { Dir: string }).Dir;
    const source = path.join(staging, 'src');
    fs.cpSync(moduleDir, source, { recursive: true });
    makeWritable(source);
    fs.writeFileSync(path.join(source, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    const built = path.join(staging, 'ferretdb');
    await run(go, ['build', '-o', built, './cmd/ferretdb'], { cwd: source, env: goEnv({}), maxBuffer: 64 << 20 });
    installAtomically(built, target);
  } catch (err) {
    buildFailed('FerretDB', err, 'MONGODB_URI');
  } finally {
    makeWritable(staging);
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return target;
}

function makeWritable(dir: string): void {
  if (!fs.existsSync(dir)) return;
  fs.chmodSync(dir, 0o755);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) makeWritable(full);
    else if (entry.isFile()) fs.chmodSync(full, 0o644);
  }
}

/** Copy then rename, so a concurrent reader never sees a half-written binary. */
function installAtomically(source: string, target: string): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const temp = `${target}.${process.pid}.tmp`;
  fs.copyFileSync(source, temp);
  fs.chmodSync(temp, 0o755);
  fs.renameSync(temp, target);
}
