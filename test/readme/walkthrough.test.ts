/**
 * The README's curl walkthrough, run exactly as written against the stack `npm run dev` starts: the block is
 * read from README.md between its markers (no copy is kept here), `npm run dev` runs as a user runs it (its
 * own Temporal dev server, FerretDB and data folder, on free ports), and each step is checked afterwards
 * through the API and the sample receiver's log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findFreePort } from '../../src/infra/ports';
import { scrape } from '../helpers/prometheus';
import { eventually } from '../helpers/engine';
import { launchBrowser } from '../helpers/portal';

const ROOT = path.resolve(__dirname, '..', '..');
const BEGIN = '<!-- walkthrough:begin';
const END = '<!-- walkthrough:end -->';

function walkthroughBlock(readme: string): string {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END, start);
  if (start < 0 || end < 0) throw new Error('README.md has no walkthrough markers');
  const fenced = /```sh\n([\s\S]*?)```/.exec(readme.slice(start, end));
  if (!fenced?.[1]) throw new Error('no ```sh block between the walkthrough markers');
  return fenced[1];
}

interface LogLine {
  module?: string;
  msg?: string;
  delivery?: string;
  event?: string;
  documentId?: string;
  signature?: string;
}

let dev: ChildProcess | undefined;
let metricsPort: string | undefined;
let devOutput = '';
let workDir = '';

afterAll(async () => {
  const running = (): boolean => dev?.exitCode === null && dev.signalCode === null;
  if (dev?.pid && running()) {
    const exited = new Promise((resolve) => dev?.once('exit', resolve));
    // Ctrl-C, as a user stops it: the whole process group, servers included.
    process.kill(-dev.pid, 'SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    if (running()) process.kill(-dev.pid, 'SIGKILL');
  }
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

async function startDev(dataDir: string): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'info' };
  // The stack npm run dev starts itself, not servers a user pointed the tests at.
  for (const name of ['TEMPORAL_ADDRESS', 'MONGODB_URI', 'ADMIN_API_KEY', 'PLATFORM_API_KEY', 'SECRETS_KEY'])
    delete env[name];
  for (const name of [
    'API_PORT',
    'DEV_RECEIVER_PORT',
    'TEMPORAL_PORT',
    'TEMPORAL_UI_PORT',
    'FERRETDB_PORT',
    'METRICS_PORT',
    'TEMPORAL_METRICS_PORT',
  ])
    env[name] = String(await findFreePort());
  metricsPort = env.METRICS_PORT;
  dev = spawn('npm', ['run', 'dev'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  dev.stdout?.on('data', (d: Buffer) => (devOutput += d.toString()));
  dev.stderr?.on('data', (d: Buffer) => (devOutput += d.toString()));
  const deadline = Date.now() + 120_000;
  while (!devOutput.includes('Docflo Webhooks is running')) {
    if (dev.exitCode !== null) throw new Error(`npm run dev exited with ${dev.exitCode}:\n${devOutput}`);
    if (Date.now() > deadline) throw new Error(`npm run dev did not come up in 120 s:\n${devOutput}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function runBash(script: string, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('bash', ['-c', script], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function readEnv(file: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^export (\w+)='(.*)'$/.exec(line);
    if (m?.[1]) values[m[1]] = m[2] ?? '';
  }
  return values;
}

test('the README walkthrough, pasted as written after npm run dev, delivers every step', async () => {
  const block = walkthroughBlock(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
  // The walkthrough runs "at the project root", where npm run dev keeps .data: here, a folder of its own.
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'docflo-walkthrough-'));
  const dataDir = path.join(workDir, '.data');
  await startDev(dataDir);

  const run = await runBash(block, workDir);
  const transcript = `--- walkthrough stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`;
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });

  // 1. The webhook was created.
  const webhookId = /^webhook: (wh_\w+)$/m.exec(run.stdout)?.[1];
  if (!webhookId) throw new Error(`step 1 printed no webhook ID\n${transcript}`);
  const env = readEnv(path.join(dataDir, 'dev.env'));
  const get = async <T>(route: string): Promise<T> => {
    const res = await fetch(`${env.API}${route}`, { headers: { authorization: `Bearer ${env.TENANT_KEY}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };
  const webhook = await get<{ url: string; event: string; status: string }>(`/v1/webhooks/${webhookId}`);
  expect(webhook).toMatchObject({ url: env.RECEIVER_URL, event: 'document.processed', status: 'active' });

  // 2. The test event reached the sample receiver, which verified its signature.
  const lines = run.stdout.split('\n');
  expect(JSON.parse(lines[1] ?? '{}')).toMatchObject({ delivered: true, statusCode: 200, attempt: 1 });
  const received = devOutput
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine)
    .filter((l) => l.module === 'sample-receiver');
  expect(received.every((l) => l.signature?.startsWith('valid'))).toBe(true);

  // 3 and 4. The published event was delivered; the delivery is listed with its attempts.
  const eventId = /"eventId":"(evt-\d+)"/.exec(run.stdout)?.[1];
  if (!eventId) throw new Error(`step 3 printed no eventId\n${transcript}`);
  const event = await get<{ deliveries: { id: string; status: string }[] }>(`/v1/events/${eventId}`);
  expect(event.deliveries).toEqual([expect.objectContaining({ status: 'succeeded' })]);
  const deliveryId = event.deliveries[0]?.id ?? '';
  const listed = await get<{ data: { id: string }[] }>(`/v1/webhooks/${webhookId}/deliveries?status=succeeded`);
  expect(listed.data.map((d) => d.id)).toContain(deliveryId);
  // Finding: the delivery by its document, and the event listed with its delivery counted by status.
  const byDocument = await get<{ data: { id: string }[] }>(`/v1/deliveries?documentId=${env.DOCUMENT_ID ?? ''}`);
  expect(byDocument.data.map((d) => d.id)).toEqual([deliveryId]);
  expect(run.stdout).toContain(`"id":"${eventId}","event":"document.processed"`);
  expect(run.stdout).toContain('"deliveries":{"succeeded":1}');

  // 5. The redelivery added a manual attempt, and both reached the receiver with a valid signature.
  const delivery = await get<{ attempts: { attempt: number; trigger: string; delivered: boolean }[] }>(
    `/v1/deliveries/${deliveryId}`,
  );
  expect(delivery.attempts.map((a) => [a.attempt, a.trigger, a.delivered])).toEqual([
    [1, 'automatic', true],
    [2, 'manual', true],
  ]);
  const forDelivery = received.filter((l) => l.delivery === deliveryId);
  expect(forDelivery).toHaveLength(2);
  expect(received.length).toBe(3); // the test event, the published event, its redelivery
  expect(run.stdout).toContain('"trigger":"manual"');

  // 6. The event's payload is erased (its delivery had ended: none to end); the metadata stays.
  expect(run.stdout).toContain(`"eventId":"${eventId}"`);
  expect(run.stdout).toMatch(/"deliveriesEnded":0,"responseBodiesErased":\d+,"complete":true/);
  const erasedEvent = await get<{ payloadErasedAt: string | null; deliveries: unknown[] }>(`/v1/events/${eventId}`);
  expect(erasedEvent.payloadErasedAt).not.toBeNull();
  expect(erasedEvent.deliveries).toHaveLength(1);

  // 7. The scratch tenant's erasure was accepted and completes.
  const erasureId = /"id":"(era_[0-9a-f]+)"/.exec(run.stdout)?.[1];
  if (!erasureId) throw new Error(`step 7 printed no erasure\n${transcript}`);
  await eventually(
    async () => {
      const res = await fetch(`${env.API}/v1/erasures/${erasureId}`, {
        headers: { authorization: `Bearer ${env.ADMIN_KEY}` },
      });
      return ((await res.json()) as { status: string }).status === 'completed' ? true : undefined;
    },
    30_000,
    'the scratch tenant erasure',
  );

  // Both /metrics count what happened: two deliveries succeeded (the test event's and the published one's;
  // the redelivery of a delivery already succeeded changes no state), three 2xx attempts, one event taken in.
  const worker = await scrape(`http://127.0.0.1:${metricsPort}/metrics`);
  expect(
    worker.value('docflo_deliveries_finished_total', { outcome: 'succeeded', event_type: 'document.processed' }),
  ).toBe(2);
  expect(worker.value('docflo_delivery_attempts_total', { result_class: '2xx' })).toBe(3);
  const api = await scrape(`${env.API}/metrics`);
  expect(api.value('docflo_api_events_accepted_total', { event_type: 'document.processed' })).toBe(1);
}, 240_000);

test("npm run dev's portal link opens the dev tenant's portal; npm run portal-link makes another", async () => {
  const dataDir = path.join(workDir, '.data');
  const env = readEnv(path.join(dataDir, 'dev.env'));
  const printed = /Tenant portal\s+(http:\/\/\S+\/portal\/login#\S+)/.exec(devOutput)?.[1];
  if (!printed) throw new Error(`npm run dev printed no portal link:\n${devOutput}`);
  const more = await runNpm(['run', '--silent', 'portal-link', '--', '--read-only'], { DATA_DIR: dataDir });
  expect(more.code).toBe(0);
  const readOnly = /^(http:\/\/\S+\/portal\/login#\S+)$/m.exec(more.stdout)?.[1];
  if (!readOnly) throw new Error(`npm run portal-link printed no link:\n${more.stdout}${more.stderr}`);

  const browser = await launchBrowser();
  try {
    for (const [link, readOnlyBadge] of [
      [printed, 0],
      [readOnly, 1],
    ] as const) {
      const page = await (await browser.newContext()).newPage();
      await page.goto(link);
      // The walkthrough's webhook to the sample receiver is listed.
      await page.getByRole('link', { name: env.RECEIVER_URL }).first().waitFor({ timeout: 15_000 });
      expect(await page.getByText('read only').count()).toBe(readOnlyBadge);
      await page.context().close();
    }
  } finally {
    await browser.close();
  }
}, 120_000);

function runNpm(
  args: string[],
  extraEnv: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('npm', args, { cwd: ROOT, env: { ...process.env, ...extraEnv } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
