/** A FerretDB of a script's own, in a temporary folder, on SQLite or PostgreSQL (--store): gone on stop(). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureFerretDb } from '../../src/infra/binaries';
import { startFerretDb } from '../../src/infra/ferretdb';
import { findFreePort } from '../../src/infra/ports';
import { chooseStoreBackend, parseStoreChoice, ROOT } from './harness';

export async function startScratchFerretDb(
  store: string | undefined,
  prefix: string,
): Promise<{ uri: string; backend: 'SQLite' | 'PostgreSQL'; stop(): Promise<void> }> {
  const postgresqlUrl = await chooseStoreBackend(parseStoreChoice(store));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const binary = await ensureFerretDb({
    explicitVariable: 'FERRETDB_PATH',
    explicitPath: process.env.FERRETDB_PATH || undefined,
    searchPath: process.env.PATH ?? '',
    toolsDir: path.join(ROOT, '.tools'),
    say: (m) => console.log(m),
  });
  const ferret = await startFerretDb({ binary, dataDir, port: await findFreePort(), postgresqlUrl });
  return {
    uri: ferret.uri,
    backend: postgresqlUrl ? 'PostgreSQL' : 'SQLite',
    async stop() {
      await ferret.process.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
