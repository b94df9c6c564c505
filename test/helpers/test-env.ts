/** What the global setup hands to test files, through environment variables of the test processes. */
export interface TestEnv {
  temporalAddress: string;
  mongoUri: string;
  workflowBundlePath: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** Folder for per-run scratch files. */
  workDir: string;
  /** The Chromium the browser tests drive (the system's, or the one @sparticuz/chromium ships). */
  chromiumPath: string;
}

const VAR = 'DOCFLO_TEST_ENV';

export function publishTestEnv(env: TestEnv): void {
  process.env[VAR] = JSON.stringify(env);
}

export function testEnv(): TestEnv {
  const raw = process.env[VAR];
  if (!raw) throw new Error('test environment missing: run the tests through jest (npm test)');
  return JSON.parse(raw) as TestEnv;
}
