/**
 * The lifecycle's long jobs survive a worker killed with SIGKILL half-way (issue 18): a purge and a tenant
 * erasure, each run by a production worker process of its own, killed once some pages are done; a second
 * worker finishes the job, and nothing it should have deleted is left. The records are written straight to
 * the store (old enough to purge, or belonging to the tenant), so the test pages through hundreds quickly.
 */
import type { ChildProcess } from 'node:child_process';
import { composeEngineClient } from '../../src/composition';
import { loadConfig } from '../../src/config';
import { collections } from '../../src/store/mongo';
import type { AttemptRecord, DeliveryRecord, EventRecord } from '../../src/store/model';
import type { purgeWorkflow } from '../../src/workflows';
import type { PurgeWorkflowResult } from '../../src/workflows/contracts';
import { killAll, spawnEntry } from '../helpers/processes';
import { eventually, startTestEngine, uniqueId, type TestEngine } from '../helpers/engine';

let t: TestEngine;
const children: ChildProcess[] = [];
beforeAll(async () => {
  t = await startTestEngine();
});
afterAll(async () => {
  killAll(children);
  await t.dispose();
});

/** A production worker (src/worker.ts) in its own process, on its own task queue. */
function spawnWorker(taskQueue: string, env: Record<string, string> = {}): ChildProcess {
  const child = spawnEntry('worker', {
    ...t.configEnv,
    TEMPORAL_TASK_QUEUE: taskQueue,
    RECONCILE_INTERVAL: '0',
    PURGE_INTERVAL: '0',
    ...env,
  });
  children.push(child);
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** `count` finished deliveries of one tenant, each with an attempt and an event, last changed `at`. */
async function seed(tenantId: string, count: number, at: Date): Promise<void> {
  const c = collections(t.db);
  const events: EventRecord[] = [];
  const deliveries: DeliveryRecord[] = [];
  const attempts: AttemptRecord[] = [];
  for (let i = 0; i < count; i++) {
    const eventId = `evt_${String(i).padStart(4, '0')}`;
    const eventKey = `${tenantId}:${eventId}`;
    const deliveryId = `dlv_${tenantId}_${i}`;
    events.push({
      _id: eventKey,
      tenantId,
      eventId,
      event: 'document.created',
      documentId: `doc_${i}`,
      occurredAt: at,
      status: 'dispatched',
      body: '{"doc":"kept until purged"}',
      createdAt: at,
      updatedAt: at,
    });
    deliveries.push({
      _id: deliveryId,
      tenantId,
      webhookId: `wh_${tenantId}`,
      eventKey,
      eventId,
      event: 'document.created',
      workflowId: `delivery:wh_${tenantId}:${eventId}`,
      status: 'succeeded',
      attemptCount: 1,
      createdAt: at,
      updatedAt: at,
    });
    attempts.push({
      _id: `${deliveryId}:1`,
      deliveryId,
      tenantId,
      webhookId: `wh_${tenantId}`,
      attempt: 1,
      trigger: 'automatic',
      state: 'done',
      url: 'https://receiver.test/hooks',
      requestHeaders: {},
      delivered: true,
      statusCode: 200,
      durationMs: 5,
      startedAt: at,
      createdAt: at,
    });
  }
  await c.events.insertMany(events);
  await c.deliveries.insertMany(deliveries);
  await c.attempts.insertMany(attempts);
}

async function left(tenantId: string) {
  const c = collections(t.db);
  return {
    events: await c.events.countDocuments({ tenantId }),
    deliveries: await c.deliveries.countDocuments({ tenantId }),
    attempts: await c.attempts.countDocuments({ tenantId }),
  };
}

test('a purge whose worker is killed half-way resumes on the next worker and finishes', async () => {
  const queue = uniqueId('tq-purge');
  const tenantId = uniqueId('ten');
  await t.ensureTenant(tenantId);
  await seed(tenantId, 120, new Date(Date.now() - 10 * 86_400_000));
  // A retention of one 1-second day: everything seeded is old enough.
  const env = { RETENTION_DAYS: '1', RETENTION_DAY: '1s' };
  const first = spawnWorker(queue, env);
  const run = await t.temporal.workflow.start<typeof purgeWorkflow>('purgeWorkflow', {
    taskQueue: queue,
    workflowId: uniqueId('purge'),
    args: [{ batch: 10, pauseMs: 400 }],
  });
  await eventually(async () => ((await left(tenantId)).deliveries <= 90 ? true : undefined), 60_000, 'some pages');
  await kill(first);
  const atKill = await left(tenantId);
  expect(atKill.deliveries).toBeGreaterThan(0);

  spawnWorker(queue, env);
  const result: PurgeWorkflowResult = await run.result();
  expect(result.complete).toBe(true);
  expect(await left(tenantId)).toEqual({ events: 0, deliveries: 0, attempts: 0 });
}, 180_000);

test('a tenant erasure whose worker is killed half-way completes on the next worker', async () => {
  const queue = uniqueId('tq-erase');
  const tenantId = uniqueId('ten');
  await t.ensureTenant(tenantId);
  await t.store.tenants.issueKey(tenantId, new Date());
  await seed(tenantId, 150, new Date());
  const env = { PURGE_BATCH: '10', PURGE_PAUSE_MS: '300' };
  const engine = composeEngineClient(loadConfig({ ...t.configEnv, TEMPORAL_TASK_QUEUE: queue, ...env }), {
    temporal: t.temporal,
    store: t.store,
  });
  const first = spawnWorker(queue, env);
  const erasure = await engine.eraseTenant(tenantId);
  await eventually(
    async () => (((await t.store.erasures.findById(erasure._id))?.deleted.deliveries ?? 0) >= 30 ? true : undefined),
    60_000,
    'some pages',
  );
  await kill(first);
  const atKill = await left(tenantId);
  expect(atKill.deliveries).toBeGreaterThan(0);
  expect((await t.store.erasures.findById(erasure._id))?.stage).toBe('deleting');

  spawnWorker(queue, env);
  const done = await eventually(
    async () => {
      const e = await t.store.erasures.findById(erasure._id);
      return e?.stage === 'completed' ? e : undefined;
    },
    150_000,
    'the erasure to complete',
  );
  expect(await left(tenantId)).toEqual({ events: 0, deliveries: 0, attempts: 0 });
  expect(await t.store.tenants.findById(tenantId)).toBeNull();
  expect(done.deleted).toMatchObject({ apiKeys: 1, events: 150 });
  // A page cut by the kill may have deleted before it counted: never more than was there.
  expect(done.deleted.deliveries).toBeLessThanOrEqual(150);
}, 240_000);
