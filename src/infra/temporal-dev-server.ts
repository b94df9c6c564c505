/** Runs `temporal server start-dev` (SQLite persistence, optional Web UI) and waits until it serves its namespace. */
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { InfraError } from '../errors';
import { registerSearchAttributes, searchAttributeFlags } from '../temporal/search-attributes';
import { ensureNamespaceRetention } from '../temporal/namespace-retention';
import { startSupervised, type SupervisedProcess } from './supervised-process';
import { waitUntilReady } from './wait';

export interface TemporalDevServerOptions {
  binary: string;
  dataDir: string;
  namespace: string;
  port: number;
  /** Undefined runs headless (tests). */
  uiPort?: number;
  readyTimeoutMs?: number;
}

export interface RunningTemporal {
  address: string;
  uiUrl?: string;
  process: SupervisedProcess;
}

/** The SDK's own local launcher waits 5 s; a cold start on 2 busy cores can take far longer. */
const DEFAULT_READY_TIMEOUT_MS = 120_000;

export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<RunningTemporal> {
  fs.mkdirSync(options.dataDir, { recursive: true });
  const address = `127.0.0.1:${options.port}`;
  const args = devServerArgs(options);

  const proc = startSupervised({
    name: 'temporal dev server',
    command: options.binary,
    args,
    logFile: path.join(options.dataDir, 'temporal.log'),
  });

  try {
    await waitUntilReady(
      async () => {
        const connection = await Connection.connect({ address, connectTimeout: 2_000 });
        try {
          await connection.workflowService.describeNamespace({ namespace: options.namespace });
          await registerSearchAttributes(connection, options.namespace);
          await ensureNamespaceRetention(connection, options.namespace);
        } finally {
          await connection.close();
        }
      },
      {
        timeoutMs: options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
        intervalMs: 500,
        abortReason: () => proc.exitReason(),
      },
    );
  } catch (err) {
    await proc.stop();
    throw new InfraError(
      'TEMPORAL_START_FAILED',
      `The Temporal dev server did not become ready on ${address}: ${(err as Error).message}\n${proc.recentOutput()}`,
      `see ${path.join(options.dataDir, 'temporal.log')}; if port ${options.port} is taken set TEMPORAL_PORT, or set TEMPORAL_ADDRESS to use a running server.`,
      { cause: err },
    );
  }
  return {
    address,
    uiUrl: options.uiPort === undefined ? undefined : `http://127.0.0.1:${options.uiPort}`,
    process: proc,
  };
}

/** The dev server's command line: loopback only, SQLite in dataDir, and nothing that calls out. */
export function devServerArgs(
  options: Pick<TemporalDevServerOptions, 'port' | 'dataDir' | 'namespace' | 'uiPort'>,
): string[] {
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--db-filename',
    path.join(options.dataDir, 'temporal.sqlite'),
    '--namespace',
    options.namespace,
    '--log-level',
    'warn',
    // WAL lets readers (visibility queries, the UI) proceed while history is written.
    '--sqlite-pragma',
    'journal_mode=wal',
    '--sqlite-pragma',
    'synchronous=normal',
    ...searchAttributeFlags(),
    // The frontend otherwise asks version-info.temporal.io for new releases (a DNS lookup at every start).
    '--dynamic-config-value',
    'frontend.enableServerVersionCheck=false',
  ];
  if (options.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort), '--ui-ip', '127.0.0.1');
  return args;
}
