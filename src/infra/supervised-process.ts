/**
 * Starts a server binary so that it can never outlive us.
 *
 * Node cannot set PR_SET_PDEATHSIG, so the binary runs under a tiny sh guardian that holds the read end of a
 * pipe from this process. When this process exits for any reason (Ctrl-C, crash, SIGKILL) the pipe closes and the
 * guardian terminates the server. A normal stop closes the pipe the same way; the guardian leads its own
 * process group so a stuck server can still be killed as a group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

const GUARDIAN = `
exec 3<&0 </dev/null
"$@" 3<&- &
child=$!
{ while read -r _ <&3; do :; done; kill -TERM "$child" 2>/dev/null; } &
watcher=$!
exec 3<&-
trap 'kill -TERM "$child" 2>/dev/null' TERM INT HUP
wait "$child"; status=$?
while kill -0 "$child" 2>/dev/null; do wait "$child"; status=$?; done
kill "$watcher" 2>/dev/null
exit $status
`;

export interface SupervisedProcess {
  readonly name: string;
  readonly pid: number;
  /** Undefined while running; the exit description once it has exited. */
  exitReason(): string | undefined;
  /** The last lines the process printed, for error messages. */
  recentOutput(): string;
  stop(timeoutMs?: number): Promise<void>;
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  /** Output is appended here, so a failed start can be diagnosed after the fact. */
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

const KEEP_LINES = 40;

export function startSupervised(options: StartOptions): SupervisedProcess {
  const log = fs.createWriteStream(options.logFile, { flags: 'a' });
  const child: ChildProcess = spawn('/bin/sh', ['-c', GUARDIAN, 'guardian', options.command, ...options.args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const tail: string[] = [];
  const remember = (chunk: Buffer): void => {
    log.write(chunk);
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      tail.push(line);
      if (tail.length > KEEP_LINES) tail.shift();
    }
  };
  child.stdout?.on('data', remember);
  child.stderr?.on('data', remember);
  // The guardian's stdin is the lifeline; it must not keep our event loop alive or crash us on EPIPE.
  child.stdin?.on('error', () => undefined);

  let exited: string | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = signal ? `${options.name} was killed by ${signal}` : `${options.name} exited with code ${code}`;
      log.end();
      resolve();
    });
    child.once('error', (err) => {
      exited = `${options.name} could not be started: ${err.message}`;
      log.end();
      resolve();
    });
  });

  return {
    name: options.name,
    pid: child.pid ?? -1,
    exitReason: () => exited,
    recentOutput: () => tail.join('\n'),
    async stop(timeoutMs = 15_000): Promise<void> {
      if (exited) return;
      child.stdin?.end();
      const timer = setTimeout(() => {
        if (!exited && child.pid) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }, timeoutMs);
      await exitPromise;
      clearTimeout(timer);
    },
  };
}
