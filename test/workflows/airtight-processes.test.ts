/**
 * Delivery control across real processes: a production worker frozen with SIGSTOP in the middle of its sends
 * (longer than the heartbeat timeout), a production API killed with SIGKILL in the middle of a status change
 * for 200 running deliveries, and deliveries cancelled and terminated from the Temporal CLI, repaired by the
 * reconciler.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { killAll, spawnEntry as spawnProductionEntry } from '../helpers/processes';
import { startTestApi, type TestApi } from '../helpers/api';
import { eventually, startTestEngine, uniqueId, type TestEngine } from '../helpers/engine';
import { startReceiver, type Receiver, type Reply } from '../helpers/receiver';
import { testEnv } from '../helpers/test-env';
import { composeEngineClient } from '../../src/composition';
import { loadConfig } from '../../src/config';
import { findFreePort } from '../../src/infra/ports';
import type { DeliveryRecord } from '../../src/store/model';

const ROOT = path.resolve(__dirname, '..', '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let t: TestEngine;
const children: ChildProcess[] = [];
beforeAll(async () => {
  t = await startTestEngine({ retrySchedule: [1, 1, 1], env: { RECONCILE_INTERVAL: '2s' } });
});
afterAll(async () => {
  killAll(children);
  await t.dispose();
  await t.temporal.schedule
    .getHandle(`docflo-reconcile:${t.taskQueue}`)
    .delete()
    .catch(() => undefined);
});

/** A production entry point (src/worker.ts or src/server.ts) in its own process, on this engine's servers. */
function spawnEntry(entry: 'worker' | 'server', env: Record<string, string>): ChildProcess {
  const child = spawnProductionEntry(entry, { ...t.configEnv, ...env });
  children.push(child);
  return child;
}

async function subscribers(
  count: number,
  reply: (req: { attempt: string; delivery: string }) => Reply,
  schedule: number[],
) {
  const receiver = await startReceiver((req) =>
    reply({ attempt: req.headers['x-docflo-attempt'] ?? '', delivery: req.headers['x-docflo-delivery'] ?? '' }),
  );
  const tenantId = uniqueId('tenant');
  const webhook = await t.addWebhook({
    tenantId,
    url: receiver.url,
    event: 'document.rejected',
    retrySchedule: schedule,
  });
  const docs = await Promise.all(Array.from({ length: count }, () => t.addDocument(tenantId)));
  return { receiver, tenantId, webhook, docs };
}

/** One document.rejected event per document, published in order; their event IDs. */
async function publishAll(
  engine: Pick<TestEngine['engine'], 'publishEvent'>,
  tenantId: string,
  docs: { _id: unknown }[],
): Promise<string[]> {
  const eventIds = docs.map(() => uniqueId('evt'));
  for (const [i, doc] of docs.entries()) {
    await engine.publishEvent({
      eventId: eventIds[i] ?? '',
      tenantId,
      event: 'document.rejected',
      documentId: String(doc._id),
    });
  }
  return eventIds;
}

function requestsPerAttempt(receiver: Receiver): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of receiver.requests) {
    const key = `${r.headers['x-docflo-delivery']}#${r.headers['x-docflo-attempt']}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

async function allIn(tenantId: string, eventIds: string[], status: DeliveryRecord['status'], timeoutMs: number) {
  return eventually(
    async () => {
      const records = await Promise.all(eventIds.map((e) => t.store.deliveries.listForEvent(`${tenantId}:${e}`)));
      const flat = records.flat();
      return flat.length === eventIds.length && flat.every((d) => d.status === status) ? flat : undefined;
    },
    timeoutMs,
    `${eventIds.length} deliveries to be ${status}`,
  );
}

/** Five deliveries to a receiver that answers by attempt number, through a production worker of their own. */
async function frozenWorkerRun(reply: (attempt: string) => Reply) {
  const queue = uniqueId('tq-frozen');
  const { receiver, tenantId, docs } = await subscribers(5, (r) => reply(r.attempt), [1, 1, 1]);
  // A send deadline longer than the hang: what ends a frozen attempt is Temporal's timeout, not the sender's.
  const worker = spawnEntry('worker', {
    TEMPORAL_TASK_QUEUE: queue,
    RECONCILE_INTERVAL: '0',
    DELIVERY_TIMEOUT_MS: '120000',
  });
  const engine = composeEngineClient(loadConfig({ ...t.configEnv, TEMPORAL_TASK_QUEUE: queue }), {
    temporal: t.temporal,
    store: t.store,
  });
  const eventIds = await publishAll(engine, tenantId, docs);
  /** Freezes the worker for `ms` once the receiver holds `requests` requests, then lets it go on. */
  const freezeAfter = async (requests: number, ms: number): Promise<void> => {
    await receiver.waitForRequests(requests, 60_000);
    worker.kill('SIGSTOP');
    await sleep(ms);
    worker.kill('SIGCONT');
  };
  const delivered = async (timeoutMs: number) =>
    allIn(tenantId, eventIds, 'succeeded', timeoutMs).catch(async (err: unknown) => {
      // Say where each delivery stands, so a failure here can be told apart from a slow machine.
      for (const e of eventIds) {
        for (const d of await t.store.deliveries.listForEvent(`${tenantId}:${e}`)) {
          const attempts = await t.store.deliveries.listAttempts(d._id);
          const described = await t.temporal.workflow.getHandle(d.workflowId).describe();
          console.error(
            `${d._id} ${d.status} attempts=${d.attemptCount} ${described.status.name}`,
            JSON.stringify(attempts.map((a) => [a.attempt, a.state, a.errorClass, a.claimedByTry])),
            JSON.stringify(described.raw.pendingActivities?.map((p) => [p.activityType?.name, p.state, p.attempt])),
          );
        }
      }
      throw err;
    });
  return { receiver, worker, freezeAfter, delivered };
}

test('a worker frozen (SIGSTOP) past the workflow task timeout during the first attempt (a local activity): one POST, recorded by the try that sent it', async () => {
  // Each first POST is answered after 25 s; the worker is frozen for 15 s of that, longer than the 10-second
  // workflow task timeout: the server gives the task to a new try, whose local activity finds attempt 1 claimed
  // and waits for the first try (alive again) to finish and record it. Before claims carried a lease, the new
  // try closed attempt 1 as interrupted and sent attempt 2: two POSTs the receiver accepted.
  const run = await frozenWorkerRun((attempt) =>
    attempt === '1' ? { status: 200, delayMs: 25_000 } : { status: 200 },
  );
  await run.freezeAfter(5, 15_000);
  const delivered = await run.delivered(60_000);
  expect(run.receiver.requests).toHaveLength(5);
  for (const d of delivered) {
    expect(d.attemptCount).toBe(1);
    const attempts = await t.store.deliveries.listAttempts(d._id);
    expect(attempts.map((a) => [a.attempt, a.state, a.delivered])).toEqual([[1, 'done', true]]);
  }
  run.worker.kill('SIGTERM');
}, 180_000);

test('a worker frozen (SIGSTOP) past the heartbeat timeout during a retry (a regular activity): at most one POST per attempt number, all delivered', async () => {
  // Attempt 1 fails at once; each attempt 2 hangs at the receiver for 90 s, and the worker is frozen for 20 s of
  // it, twice the 10-second heartbeat timeout: every attempt 2 times out on the server.
  const run = await frozenWorkerRun((attempt) => {
    if (attempt === '1') return { status: 503 };
    return attempt === '2' ? { status: 200, delayMs: 90_000 } : { status: 200 };
  });
  await run.freezeAfter(10, 20_000);
  const delivered = await run.delivered(60_000);
  for (const [key, count] of requestsPerAttempt(run.receiver)) expect([key, count]).toEqual([key, 1]);
  for (const d of delivered) {
    const attempts = await t.store.deliveries.listAttempts(d._id);
    expect(attempts.map((a) => a.attempt)).toEqual(Array.from({ length: attempts.length }, (_, i) => i + 1));
    expect(attempts.every((a) => a.state === 'done')).toBe(true);
    expect(attempts[0]?.statusCode).toBe(503);
    expect(attempts[attempts.length - 1]?.delivered).toBe(true);
    // The frozen attempt is closed as interrupted (never sent again under its number): by the try that woke
    // and was cancelled, or by the next try once the claim's lease ended.
    for (const a of attempts.slice(1, -1)) expect(a.errorClass).toBe('interrupted');
  }
  run.worker.kill('SIGTERM');
}, 180_000);

test('the API killed (SIGKILL) mid status change for 200 running deliveries: all paused, then all resumed and delivered', async () => {
  let healthy = false;
  const { receiver, tenantId, webhook, docs } = await subscribers(200, () => ({ status: healthy ? 200 : 503 }), [3600]);
  const eventIds = await publishAll(t.engine, tenantId, docs);
  await allIn(tenantId, eventIds, 'retrying', 120_000);
  const { key } = await t.store.tenants.issueKey(tenantId, new Date());

  // 1. An API process dies in the middle of PATCH inactive: wherever the kill lands, the store write either
  // happened (the reconciler hands it out: its hand-off is pending) or not (the client's retry does it).
  const apiPort = await findFreePort();
  const api = spawnEntry('server', {
    API_PORT: String(apiPort),
    ADMIN_API_KEY: 'admin-key-0123456789',
    PLATFORM_API_KEY: 'platform-key-0123456789',
  });
  await eventually(
    async () => ((await fetch(`http://127.0.0.1:${apiPort}/healthz`).catch(() => undefined))?.ok ? true : undefined),
    30_000,
    'the API',
  );
  const patch = fetch(`http://127.0.0.1:${apiPort}/v1/webhooks/${webhook._id}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ status: 'inactive' }),
  }).catch(() => undefined);
  await sleep(15);
  api.kill('SIGKILL');
  await patch;
  const stored = await t.store.webhooks.findById(webhook._id);
  if (stored?.status !== 'inactive') {
    // Killed before the write: the client retries, as any client of a request that got no answer does.
    const retry = await startTestApi(t);
    await retry.call('PATCH', `/v1/webhooks/${webhook._id}`, { key, body: { status: 'inactive' } });
    await retry.close();
  }
  await allIn(tenantId, eventIds, 'paused', 60_000);
  healthy = true;

  // 2. Resumed through an API that answers: every delivery resumes and is delivered, none twice.
  const resumer: TestApi = await startTestApi(t);
  const resumed = await resumer.call<{ handedToDeliveries: number }>('PATCH', `/v1/webhooks/${webhook._id}`, {
    key,
    body: { status: 'active' },
  });
  await resumer.close();
  expect(resumed.body.handedToDeliveries).toBe(200);
  // Resumed: back in their one-hour backoff, not paused; retry-now then sends each one once more.
  const back = await allIn(tenantId, eventIds, 'retrying', 60_000);
  for (const d of back) await t.engine.retryNow(tenantId, d._id);
  // Generous: with a heavy test file beside it on two cores, 200 retries and their records take minutes.
  await allIn(tenantId, eventIds, 'succeeded', 240_000);
  const byDelivery = new Map<string, number>();
  for (const r of receiver.requests)
    byDelivery.set(
      r.headers['x-docflo-delivery'] ?? '',
      (byDelivery.get(r.headers['x-docflo-delivery'] ?? '') ?? 0) + 1,
    );
  expect(byDelivery.size).toBe(200);
  // The failed first attempt, then the delivery: any other count is shown with the delivery's attempts.
  const deviating = [...byDelivery].filter(([, n]) => n !== 2);
  const detail = await Promise.all(
    deviating.map(async ([id, n]) => ({
      id,
      requests: n,
      attempts: (await t.store.deliveries.listAttempts(id)).map((a) => [
        a.attempt,
        a.trigger,
        a.statusCode,
        a.errorClass,
      ]),
    })),
  );
  expect(detail).toEqual([]);
}, 420_000);

test('cancelled from the CLI: recorded cancelled; terminated from the CLI: restarted by the reconciler from its record, and delivered', async () => {
  let healthy = false;
  const { receiver, tenantId, docs } = await subscribers(2, () => ({ status: healthy ? 200 : 503 }), [3600]);
  const eventIds = await publishAll(t.engine, tenantId, docs);
  const [toCancel, toTerminate] = await allIn(tenantId, eventIds, 'retrying', 60_000);
  if (!toCancel || !toTerminate) throw new Error('two deliveries expected');
  healthy = true;
  temporalCli(['workflow', 'cancel', '--workflow-id', toCancel.workflowId]);
  temporalCli(['workflow', 'terminate', '--workflow-id', toTerminate.workflowId, '--reason', 'operator test']);
  await eventually(
    async () => ((await t.store.deliveries.findById(toCancel._id))?.status === 'cancelled' ? true : undefined),
    30_000,
    'cancelled',
  );
  // Restarted from its record: the same one-hour backoff, which retry-now cuts (it reaches the new run).
  await eventually(
    async () => ((await t.engine.retryNow(tenantId, toTerminate._id)) ? true : undefined),
    60_000,
    'the terminated delivery to be restarted by the reconciler',
  );
  const repaired = await eventually(
    async () => {
      const d = await t.store.deliveries.findById(toTerminate._id);
      return d?.status === 'succeeded' ? d : undefined;
    },
    60_000,
    'the restarted delivery to be delivered',
  );
  expect(repaired.attemptCount).toBe(2); // numbering went on from the attempt made before the terminate
  await sleep(3_000); // another reconcile pass: the cancelled one stays cancelled
  expect((await t.store.deliveries.findById(toCancel._id))?.status).toBe('cancelled');
  expect(receiver.requests.filter((r) => r.headers['x-docflo-delivery'] === toCancel._id)).toHaveLength(1);
}, 120_000);

/** The Temporal CLI this test run's server was built with (or the user's, by TEMPORAL_CLI_PATH). */
function temporalCli(args: string[]): void {
  const binary = process.env.TEMPORAL_CLI_PATH ?? path.join(ROOT, '.tools', 'bin', 'temporal');
  if (!fs.existsSync(binary)) throw new Error(`no Temporal CLI at ${binary}: set TEMPORAL_CLI_PATH`);
  const result = spawnSync(binary, [...args, '--address', testEnv().temporalAddress, '--namespace', 'default'], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`temporal ${args.join(' ')} failed: ${result.stderr}`);
}

test('a status change stored but never handed out (the API died between the two) is handed out by the reconciler', async () => {
  const { tenantId, webhook, docs } = await subscribers(1, () => ({ status: 503 }), [3600]);
  const eventId = uniqueId('evt');
  await t.engine.publishEvent({ eventId, tenantId, event: 'document.rejected', documentId: String(docs[0]?._id) });
  const [delivery] = await allIn(tenantId, [eventId], 'retrying', 30_000);
  // What PATCH writes before its hand-off; no signal follows. The backoff is an hour and the pause re-check
  // five minutes: only the reconciler (every 2 s here) can pause this delivery in time.
  const stored = await t.store.webhooks.setStatus(tenantId, webhook._id, 'inactive', new Date());
  expect(await t.store.webhooks.handOffPending(webhook._id)).toBe(stored?.statusVersion);
  await allIn(tenantId, [eventId], 'paused', 30_000);
  await eventually(async () => ((await t.store.webhooks.handOffPending(webhook._id)) === undefined ? true : undefined));
  expect(delivery?.attemptCount).toBe(1);
}, 90_000);
