/**
 * Which Chromium the browser tests drive: CHROMIUM_PATH, else the system's (Debian's chromium), else the one
 * the npm package @sparticuz/chromium carries inside it (unpacked to /tmp on first use), so a fresh machine
 * with nothing but `npm install` runs them. Nothing is downloaded.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';

const SYSTEM_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export async function findChromium(): Promise<string> {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) return configured;
  const system = SYSTEM_CHROMIUM.find((p) => fs.existsSync(p));
  if (system) return system;
  // The package is ESM only: ask a plain Node process, outside Jest's module loader.
  const { stdout } = await promisify(execFile)(process.execPath, [
    '-e',
    "import('@sparticuz/chromium').then((m) => m.default.executablePath()).then((p) => process.stdout.write(p))",
  ]);
  if (!stdout || !fs.existsSync(stdout)) throw new Error(`@sparticuz/chromium gave no browser (${stdout})`);
  return stdout;
}

/**
 * Flags for a headless Chromium that talks to nothing but loopback: no background networking, updates or
 * sync, and every host name but the loopback ones resolves to nothing (no DNS lookup ever leaves the machine).
 */
export const OFFLINE_CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--disable-domain-reliability',
  '--disable-client-side-phishing-detection',
  '--metrics-recording-only',
  '--dns-prefetch-disable',
  '--disable-features=DnsOverHttps,NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,Translate,AutofillServerCommunication',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
];
