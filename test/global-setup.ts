/**
 * Starts one Temporal dev server and one FerretDB for the whole run (or uses TEMPORAL_ADDRESS / MONGODB_URI),
 * makes a test certificate authority with a certificate for 127.0.0.1, and bundles the workflows once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { createCA, createCert } from 'mkcert';
import { startLocalInfra, type LocalInfra } from '../src/infra/local-infra';
import { workflowsPath } from '../src/temporal/engine-worker';
import { publishTestEnv } from './helpers/test-env';
import { buildPortal } from '../src/portal/build-portal';
import { findChromium } from './helpers/chromium';

declare global {
  var __DOCFLO_INFRA__: LocalInfra | undefined;
  var __DOCFLO_WORKDIR__: string | undefined;
}

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'docflo-test-'));
  const say = (message: string): void => console.log(`[test setup] ${message}`);
  const infra = await startLocalInfra({
    temporalAddress: process.env.TEMPORAL_ADDRESS || undefined,
    mongoUri: process.env.MONGODB_URI || undefined,
    namespace: process.env.TEMPORAL_NAMESPACE || 'default',
    temporalCliPath: process.env.TEMPORAL_CLI_PATH || undefined,
    ferretdbPath: process.env.FERRETDB_PATH || undefined,
    // Set it to a database of its own: the tests' databases become schemas there, and not all are dropped.
    ferretdbPostgresqlUrl: process.env.FERRETDB_POSTGRESQL_URL || undefined,
    withUi: false,
    dataDir: workDir,
    toolsDir: path.resolve(__dirname, '..', '.tools'),
    searchPath: process.env.PATH ?? '',
    say,
  });
  globalThis.__DOCFLO_INFRA__ = infra;
  globalThis.__DOCFLO_WORKDIR__ = workDir;
  // The chaos tests build dist/ once for the whole run (scripts/lib/harness.ts, buildEngine).
  process.env.DOCFLO_BUILD_ONCE = workDir;

  const ca = await createCA({
    organization: 'Docflo Test CA',
    countryCode: 'US',
    state: 'Test',
    locality: 'Test',
    validity: 2,
  });
  const cert = await createCert({ ca, domains: ['127.0.0.1', 'localhost', '::1'], validity: 2 });
  const files = { caFile: 'ca.pem', certFile: 'cert.pem', keyFile: 'key.pem' };
  fs.writeFileSync(path.join(workDir, files.caFile), ca.cert);
  fs.writeFileSync(path.join(workDir, files.certFile), cert.cert);
  fs.writeFileSync(path.join(workDir, files.keyFile), cert.key, { mode: 0o600 });

  const { code } = await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: quietBundlerLogger });
  const workflowBundlePath = path.join(workDir, 'workflow-bundle.js');
  fs.writeFileSync(workflowBundlePath, code);

  // The portal the browser tests open is built from this checkout's sources, like npm run dev builds it.
  await buildPortal();
  const chromiumPath = await findChromium();
  say(`portal built; Chromium: ${chromiumPath}`);

  publishTestEnv({
    temporalAddress: infra.temporalAddress,
    mongoUri: infra.mongoUri,
    workflowBundlePath,
    caFile: path.join(workDir, files.caFile),
    certFile: path.join(workDir, files.certFile),
    keyFile: path.join(workDir, files.keyFile),
    workDir,
    chromiumPath,
  });
  say(
    `servers ready in ${((Date.now() - started) / 1000).toFixed(1)} s (Temporal ${infra.temporalAddress}, MongoDB ${infra.mongoUri})`,
  );
}

const quietBundlerLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
  log: () => undefined,
};
