/** Stops the servers the global setup started and removes the run's scratch folder. */
import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__DOCFLO_INFRA__?.stop();
  if (globalThis.__DOCFLO_WORKDIR__) fs.rmSync(globalThis.__DOCFLO_WORKDIR__, { recursive: true, force: true });
}
