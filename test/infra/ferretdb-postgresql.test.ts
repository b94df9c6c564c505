/**
 * The local FerretDB on PostgreSQL (FERRETDB_POSTGRESQL_URL): data lives in the database, not the data folder,
 * and a server that is not there fails the start with the backend named and no credential in the message.
 * Needs a PostgreSQL: FERRETDB_POSTGRESQL_URL, or the machine's own on 127.0.0.1:5432 (as CI machines have).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { InfraError } from '../../src/errors';
import { ensureFerretDb } from '../../src/infra/binaries';
import { describeBackend, startFerretDb, type RunningFerretDb } from '../../src/infra/ferretdb';
import { findFreePort } from '../../src/infra/ports';
import { LOCAL_POSTGRESQL_URL, postgresqlAnswers } from '../../src/infra/postgresql';

const url = process.env.FERRETDB_POSTGRESQL_URL || LOCAL_POSTGRESQL_URL;
let binary: string;
let available = false;
const dirs: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docflo-ferret-pg-'));
  dirs.push(dir);
  return dir;
};

beforeAll(async () => {
  available = await postgresqlAnswers(url);
  binary = await ensureFerretDb({
    explicitVariable: 'FERRETDB_PATH',
    explicitPath: process.env.FERRETDB_PATH || undefined,
    searchPath: process.env.PATH ?? '',
    toolsDir: path.resolve(__dirname, '..', '..', '.tools'),
    say: () => undefined,
  });
});
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function allCommandLines(): string[] {
  return fs.readdirSync('/proc').flatMap((pid) => {
    if (!/^\d+$/.test(pid)) return [];
    try {
      return [fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')];
    } catch {
      return [];
    }
  });
}

async function withFerret<T>(dataDir: string, fn: (db: ReturnType<MongoClient['db']>) => Promise<T>, dbName: string) {
  const ferret: RunningFerretDb = await startFerretDb({
    binary,
    dataDir,
    port: await findFreePort(),
    postgresqlUrl: url,
  });
  const client = await MongoClient.connect(ferret.uri);
  try {
    return await fn(client.db(dbName));
  } finally {
    await client.close();
    await ferret.process.stop();
  }
}

test('documents written through one FerretDB are read by another with a new data folder: they live in PostgreSQL', async () => {
  if (!available) {
    console.warn(`no PostgreSQL answers at ${describeBackend(url)}: FerretDB-on-PostgreSQL test not run`);
    return;
  }
  // Not `pg…`: FerretDB 1.24 skips schemas LIKE 'pg_%' (the `_` matches any character) when it starts.
  const dbName = `ferretdb_on_pg_${crypto.randomBytes(4).toString('hex')}`;
  const first = tempDir();
  const commandLines = await withFerret(
    first,
    async (db) => {
      await db.collection('things').insertOne({ _id: 'a' as never, n: 1 });
      return allCommandLines();
    },
    dbName,
  );
  // The URL (which may hold a password) is in FerretDB's environment, not on a command line `ps` shows.
  expect(commandLines.some((line) => line.includes('--handler=postgresql'))).toBe(true);
  expect(commandLines.filter((line) => line.includes(url))).toEqual([]);
  expect(fs.existsSync(path.join(first, 'sqlite'))).toBe(false);
  const found = await withFerret(
    tempDir(),
    async (db) => {
      const doc = await db.collection('things').findOne({ _id: 'a' as never });
      await db.dropDatabase();
      return doc;
    },
    dbName,
  );
  expect(found).toEqual({ _id: 'a', n: 1 });
}, 120_000);

test('a PostgreSQL that is not there: the start fails naming the backend, without the password', async () => {
  const closed = await findFreePort();
  const err = await startFerretDb({
    binary,
    dataDir: tempDir(),
    port: await findFreePort(),
    postgresqlUrl: `postgres://docflo:s3cret-pw@127.0.0.1:${closed}/nowhere`,
    readyTimeoutMs: 5_000,
  }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InfraError);
  const message = (err as InfraError).message;
  expect(message).toContain(`PostgreSQL 127.0.0.1:${closed}/nowhere`);
  expect(message).not.toContain('s3cret-pw');
  expect(message).toContain('FERRETDB_POSTGRESQL_URL');
}, 60_000);
