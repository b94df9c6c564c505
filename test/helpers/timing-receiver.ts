/** Starts test/helpers/timing-receiver-process.ts and collects its arrival times. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { testEnv } from './test-env';

export interface Arrival {
  delivery: string;
  at: number;
}

export interface TimingReceiver {
  url: string;
  arrivals: Arrival[];
  waitFor(count: number, timeoutMs: number): Promise<Arrival[]>;
  close(): void;
}

export async function startTimingReceiver(): Promise<TimingReceiver> {
  const env = testEnv();
  const child = spawn(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      path.join(__dirname, 'timing-receiver-process.ts'),
      env.keyFile,
      env.certFile,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const arrivals: Arrival[] = [];
  const lines = readline.createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the timing receiver exited (${code}) before listening`)));
    lines.on('line', (line) => {
      const parsed = JSON.parse(line) as { port?: number } & Partial<Arrival>;
      if (parsed.port !== undefined) resolve(parsed.port);
      else arrivals.push({ delivery: parsed.delivery ?? '', at: parsed.at ?? 0 });
    });
  });
  return {
    url: `https://127.0.0.1:${port}/hooks`,
    arrivals,
    async waitFor(count, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (arrivals.length < count) {
        if (Date.now() > deadline)
          throw new Error(`${arrivals.length} of ${count} requests arrived in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 200));
      }
      return arrivals;
    },
    close() {
      child.stdin?.end();
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
