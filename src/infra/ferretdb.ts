/**
 * Runs FerretDB (the MongoDB wire protocol) and waits until it answers `ping`. Its backend is SQLite files in
 * the data folder (nothing to set up) or, given a URL, a PostgreSQL database: there FerretDB answers each
 * command for a fraction of SQLite's CPU (docs/performance.md), and every MongoDB database is a schema.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { InfraError } from '../errors';
import { startSupervised, type SupervisedProcess } from './supervised-process';
import { waitUntilReady } from './wait';

export interface FerretDbOptions {
  binary: string;
  dataDir: string;
  port: number;
  /** `postgres://…/<database>` (the database must exist): FerretDB's PostgreSQL backend instead of SQLite. */
  postgresqlUrl?: string;
  readyTimeoutMs?: number;
}

/**
 * The backend's flags. The PostgreSQL URL may hold a password: it goes in FerretDB's environment, not its
 * command line (which `ps` shows), and never in a message (see `describeBackend`).
 */
function backendArgs(options: FerretDbOptions, sqliteDir: string): string[] {
  return options.postgresqlUrl ? ['--handler=postgresql'] : ['--handler=sqlite', `--sqlite-url=file:${sqliteDir}/`];
}

/** Where the data lives, for messages: host, port and database, without credentials. */
export function describeBackend(postgresqlUrl: string | undefined): string {
  if (!postgresqlUrl) return 'SQLite';
  try {
    const url = new URL(postgresqlUrl);
    return `PostgreSQL ${url.hostname}:${url.port || '5432'}${url.pathname}`;
  } catch {
    return 'PostgreSQL (FERRETDB_POSTGRESQL_URL is not a URL)';
  }
}

export interface RunningFerretDb {
  uri: string;
  process: SupervisedProcess;
}

export async function startFerretDb(options: FerretDbOptions): Promise<RunningFerretDb> {
  const sqliteDir = path.join(options.dataDir, 'sqlite');
  const stateDir = path.join(options.dataDir, 'state');
  if (!options.postgresqlUrl) fs.mkdirSync(sqliteDir, { recursive: true });
  fs.mkdirSync(stateDir, { recursive: true });
  const uri = `mongodb://127.0.0.1:${options.port}/`;
  const proc = startSupervised({
    name: 'FerretDB',
    command: options.binary,
    args: [
      ...backendArgs(options, sqliteDir),
      `--listen-addr=127.0.0.1:${options.port}`,
      // By default FerretDB reports telemetry to an outside host; nothing we start may call out.
      '--telemetry=disable',
      // Its debug listener defaults to a fixed port that collides between instances.
      '--debug-addr=-',
      `--state-dir=${stateDir}`,
      '--log-level=WARN',
    ],
    logFile: path.join(options.dataDir, 'ferretdb.log'),
    ...(options.postgresqlUrl ? { env: { ...process.env, FERRETDB_POSTGRESQL_URL: options.postgresqlUrl } } : {}),
  });
  try {
    await waitUntilReady(
      async () => {
        const client = new MongoClient(uri, { serverSelectionTimeoutMS: 1_000, connectTimeoutMS: 1_000 });
        try {
          await client.db('admin').command({ ping: 1 });
        } finally {
          await client.close();
        }
      },
      { timeoutMs: options.readyTimeoutMs ?? 60_000, intervalMs: 250, abortReason: () => proc.exitReason() },
    );
  } catch (err) {
    await proc.stop();
    throw new InfraError(
      'FERRETDB_START_FAILED',
      `FerretDB (on ${describeBackend(options.postgresqlUrl)}) did not become ready on 127.0.0.1:${options.port}: ${(err as Error).message}\n${proc.recentOutput()}`,
      `see ${path.join(options.dataDir, 'ferretdb.log')}; ` +
        (options.postgresqlUrl
          ? 'check that FERRETDB_POSTGRESQL_URL names a running PostgreSQL and an existing database; '
          : '') +
        `if port ${options.port} is taken set FERRETDB_PORT, or set MONGODB_URI to use a running server.`,
      { cause: err },
    );
  }
  return { uri, process: proc };
}
