/**
 * The engine's two servers for dev, tests and benchmarks: the ones the user points at (TEMPORAL_ADDRESS,
 * MONGODB_URI), or local ones this module builds, starts and stops.
 */
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { registerSearchAttributes } from '../temporal/search-attributes';
import { ensureFerretDb, ensureTemporalCli, type ToolLocation } from './binaries';
import { startFerretDb } from './ferretdb';
import { assertPortFree, findFreePort } from './ports';
import type { SupervisedProcess } from './supervised-process';
import { startTemporalDevServer } from './temporal-dev-server';

export interface LocalInfraOptions {
  temporalAddress?: string;
  mongoUri?: string;
  namespace: string;
  temporalCliPath?: string;
  ferretdbPath?: string;
  /** Run the local FerretDB on this PostgreSQL database instead of SQLite (FERRETDB_POSTGRESQL_URL). */
  ferretdbPostgresqlUrl?: string;
  /** Fixed ports (dev). Omitted: private instances on free ports (tests, benchmarks). */
  ports?: { temporal: number; temporalUi: number; ferretdb: number };
  /** Run the Temporal Web UI (dev) or not (tests). */
  withUi: boolean;
  dataDir: string;
  toolsDir: string;
  searchPath: string;
  say: (message: string) => void;
}

export interface LocalInfra {
  temporalAddress: string;
  temporalUiUrl?: string;
  mongoUri: string;
  /** The processes this module started (empty when both servers were given). */
  processes: SupervisedProcess[];
  stop(): Promise<void>;
}

export async function startLocalInfra(options: LocalInfraOptions): Promise<LocalInfra> {
  const tools: Omit<ToolLocation, 'explicitPath' | 'explicitVariable'> = {
    searchPath: options.searchPath,
    toolsDir: path.resolve(options.toolsDir),
    say: options.say,
  };
  // Build first, one at a time (two Go builds at once on two cores only slow each other), then start both.
  const temporalBinary = options.temporalAddress
    ? undefined
    : await ensureTemporalCli({
        ...tools,
        explicitPath: options.temporalCliPath,
        explicitVariable: 'TEMPORAL_CLI_PATH',
      });
  const ferretBinary = options.mongoUri
    ? undefined
    : await ensureFerretDb({ ...tools, explicitPath: options.ferretdbPath, explicitVariable: 'FERRETDB_PATH' });

  if (options.ports) {
    if (temporalBinary) {
      await assertPortFree(options.ports.temporal, 'TEMPORAL_PORT');
      if (options.withUi) await assertPortFree(options.ports.temporalUi, 'TEMPORAL_UI_PORT');
    }
    if (ferretBinary) await assertPortFree(options.ports.ferretdb, 'FERRETDB_PORT');
  }
  const ports = options.ports ?? {
    temporal: await findFreePort(),
    temporalUi: await findFreePort(),
    ferretdb: await findFreePort(),
  };

  const [temporal, ferret] = await Promise.allSettled([
    temporalBinary
      ? startTemporalDevServer({
          binary: temporalBinary,
          dataDir: path.join(options.dataDir, 'temporal'),
          namespace: options.namespace,
          port: ports.temporal,
          uiPort: options.withUi ? ports.temporalUi : undefined,
        })
      : registerOnExternal(options.temporalAddress ?? '', options.namespace, options.say).then(() => undefined),
    ferretBinary
      ? startFerretDb({
          binary: ferretBinary,
          dataDir: path.join(options.dataDir, 'ferretdb'),
          port: ports.ferretdb,
          postgresqlUrl: options.ferretdbPostgresqlUrl,
        })
      : Promise.resolve(undefined),
  ]);
  const processes = [temporal, ferret].flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value.process] : []));
  const stop = async (): Promise<void> => {
    await Promise.all(processes.map((p) => p.stop()));
  };
  const failure = [temporal, ferret].find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    await stop();
    throw failure.reason;
  }
  const runningTemporal = temporal.status === 'fulfilled' ? temporal.value : undefined;
  const runningFerret = ferret.status === 'fulfilled' ? ferret.value : undefined;
  return {
    temporalAddress: runningTemporal?.address ?? options.temporalAddress ?? '',
    temporalUiUrl: runningTemporal?.uiUrl,
    mongoUri: runningFerret?.uri ?? options.mongoUri ?? '',
    processes,
    stop,
  };
}

/** A server we did not start still needs our search attributes; lacking permission is worth a warning, not a stop. */
async function registerOnExternal(address: string, namespace: string, say: (m: string) => void): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const added = await registerSearchAttributes(connection, namespace);
    if (added.length > 0) say(`Registered search attributes on ${address}: ${added.join(', ')}`);
  } catch (err) {
    say(`Could not register search attributes on ${address} (${(err as Error).message}); see docs/operations.md.`);
  } finally {
    await connection.close();
  }
}
