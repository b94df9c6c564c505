/** A production entry point (src/worker.ts or src/server.ts) in a process of its own, for tests that kill it. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** Starts it with `env` over this process's environment; its stderr is echoed with the entry's name. */
export function spawnEntry(entry: 'worker' | 'server', env: Record<string, string>): ChildProcess {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', path.join(ROOT, 'src', `${entry}.ts`)],
    {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[${entry}] ${d.toString()}`));
  return child;
}

/** SIGKILLs each child still running (a test's afterAll). */
export function killAll(children: ChildProcess[]): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
