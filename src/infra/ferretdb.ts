/** Runs FerretDB (MongoDB wire protocol over SQLite) and waits until it answers `ping`. */
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
  readyTimeoutMs?: number;
}

export interface RunningFerretDb {
  uri: string;
  process: SupervisedProcess;
}

export async function startFerretDb(options: FerretDbOptions): Promise<RunningFerretDb> {
  const sqliteDir = path.join(options.dataDir, 'sqlite');
  const stateDir = path.join(options.dataDir, 'state');
  fs.mkdirSync(sqliteDir, { recursive: true });
  fs.mkdirSync(stateDir, { recursive: true });
  const uri = `mongodb://127.0.0.1:${options.port}/`;
  const proc = startSupervised({
    name: 'FerretDB',
    command: options.binary,
    args: [
      '--handler=sqlite',
      `--sqlite-url=file:${sqliteDir}/`,
      `--listen-addr=127.0.0.1:${options.port}`,
      // By default FerretDB reports telemetry to an outside host; nothing we start may call out.
      '--telemetry=disable',
      // Its debug listener defaults to a fixed port that collides between instances.
      '--debug-addr=-',
      `--state-dir=${stateDir}`,
      '--log-level=WARN',
    ],
    logFile: path.join(options.dataDir, 'ferretdb.log'),
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
      `FerretDB did not become ready on 127.0.0.1:${options.port}: ${(err as Error).message}\n${proc.recentOutput()}`,
      `see ${path.join(options.dataDir, 'ferretdb.log')}; if port ${options.port} is taken set FERRETDB_PORT, or set MONGODB_URI to use a running server.`,
      { cause: err },
    );
  }
  return { uri, process: proc };
}
