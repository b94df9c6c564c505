/**
 * npm run portal-link [-- --read-only] [--no-secrets]: a new single-use tenant portal link for the dev tenant
 * of a running `npm run dev` (read from .data/dev.env), asked of the admin API with the tenant's own key.
 */
import fs from 'node:fs';
import path from 'node:path';

function devEnv(dataDir: string): Record<string, string> {
  const file = path.join(dataDir, 'dev.env');
  if (!fs.existsSync(file)) throw new Error(`${file} not found: start npm run dev first`);
  const values: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const match = /^export (\w+)='(.*)'$/.exec(line);
    if (match?.[1]) values[match[1]] = (match[2] ?? '').replace(/'\\''/g, "'");
  }
  return values;
}

async function main(): Promise<void> {
  const env = devEnv(process.env.DATA_DIR ?? '.data');
  const args = process.argv.slice(2);
  const capabilities = args.includes('--read-only')
    ? []
    : ['manage_endpoints', ...(args.includes('--no-secrets') ? [] : ['view_secrets'])];
  const res = await fetch(`${env.API}/v1/tenants/${env.TENANT_ID}/portal-sessions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${env.TENANT_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ capabilities }),
  });
  const body = (await res.json()) as { url?: string; linkExpiresAt?: string; error?: { message: string } };
  if (!res.ok || !body.url) throw new Error(`HTTP ${res.status}: ${body.error?.message ?? 'no link'}`);
  console.log(
    `${body.url}\n(opens once, until ${body.linkExpiresAt}; capabilities: ${capabilities.join(', ') || 'read only'})`,
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
