/**
 * The fault-injection run behind `npm run chaos` (and its small size in npm test). Under steady load it
 * SIGKILLs the worker at random moments and restarts it, restarts the Temporal dev server (file-backed) and
 * the store once each, makes the receiver answer 5xx half the time and go down for a while, and publishes
 * some events twice. Then it checks that every accepted event reached every webhook (distinct delivery IDs
 * at the receiver), that every delivery succeeded with each attempt number recorded exactly once, and that
 * no delivery workflow is left running. With `orderedDocuments`, the last webhook has `ordering: document` (or `webhook`) and
 * the events take turns over that many documents: each document's deliveries to it must arrive in publish order.
 */
import path from 'node:path';
import { ensureFerretDb, ensureTemporalCli } from '../../src/infra/binaries';
import { startFerretDb } from '../../src/infra/ferretdb';
import { startTemporalDevServer } from '../../src/infra/temporal-dev-server';
import type { SupervisedProcess } from '../../src/infra/supervised-process';
import {
  addDocument,
  buildEngine,
  chooseStoreBackend,
  createTenants,
  ROOT,
  spawnWorker,
  startHarness,
  startHarnessReceiver,
  type StoreChoice,
  type WorkerProcess,
} from './harness';

export interface ChaosOptions {
  events: number;
  webhooks: number;
  workerKills: number;
  restartTemporal: boolean;
  restartStore: boolean;
  /** How long the receiver is down, in ms. */
  receiverDownMs: number;
  /** Times one webhook is set inactive and active again at random moments (it ends active). */
  pauseResumeToggles?: number;
  /** Terminate one running delivery workflow by hand: the reconciler must repair it. */
  terminateDelivery?: boolean;
  /** Worker processes on the task queue (a worker fault kills one of them at random). Default 1. */
  workers?: number;
  /** The local FerretDB's backend (harness chooseStoreBackend). Default sqlite. */
  store?: StoreChoice;
  /** Events go to this many documents in turn, and the last webhook keeps each document's order. */
  orderedDocuments?: number;
  /** The ordered webhook's setting: `document` (default) or `webhook` (one order for all its deliveries). */
  ordering?: 'document' | 'webhook';
  say: (m: string) => void;
  build?: boolean;
}

export interface FaultRow {
  fault: string;
  injected: number;
}

export interface ChaosReport {
  faults: FaultRow[];
  expected: number;
  delivered: number;
  lost: number;
  duplicatesSeen: number;
  notSucceeded: number;
  attemptGaps: number;
  stillRunning: number;
  /**
   * Deliveries to the ordered webhook checked (not those skipped while it was paused and replayed), and
   * documents whose deliveries arrived out of publish order.
   */
  ordered: number;
  outOfOrder: number;
  seconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const { say } = options;
  const started = Date.now();
  if (options.build !== false) await buildEngine(say);
  // Fast retries: half the attempts fail on purpose, and outages must not exhaust the schedule.
  const schedule = [1, 1, 2, 2, 3, 3, ...Array<number>(30).fill(4)];
  const workerCount = Math.max(1, options.workers ?? 1);
  const ferretdbPostgresqlUrl = process.env.MONGODB_URI
    ? undefined
    : await chooseStoreBackend(options.store ?? 'sqlite');
  const h = await startHarness({ retrySchedule: schedule, say, ferretdbPostgresqlUrl });
  say(`store: FerretDB on ${h.ferretdbPostgresqlUrl ? 'PostgreSQL' : 'SQLite'}; ${workerCount} worker(s)`);
  const external = Boolean(process.env.TEMPORAL_ADDRESS || process.env.MONGODB_URI);
  let failedOnPurpose = 0;
  const receiver = await startHarnessReceiver(h.certs, () => {
    if (Math.random() >= 0.5) return 200;
    failedOnPurpose++;
    return 503;
  });
  const port = Number(new URL(receiver.url).port);
  const tenants = await createTenants(h, receiver.url, 1, options.webhooks, 'document.approved');
  const tenantId = tenants[0]?.tenantId ?? 'tenant-0';
  const orderedWebhook = options.orderedDocuments ? tenants[0]?.webhooks.at(-1) : undefined;
  if (orderedWebhook) {
    const ordering = options.ordering ?? 'document';
    await h.store.webhooks.update(tenantId, orderedWebhook._id, { ordering, updatedAt: new Date() }, []);
  }
  const orderedDocs: string[] = [];
  for (let d = 0; d < (options.orderedDocuments ?? 0); d++) orderedDocs.push(await addDocument(h, tenantId));
  /** Publish order of each event ID. */
  const publishIndex = new Map<string, number>();
  const faults = new Map<string, number>();
  const inject = (fault: string): void => {
    faults.set(fault, (faults.get(fault) ?? 0) + 1);
  };
  const workerEnv = {
    DELIVERY_RETRY_SCHEDULE: schedule.join(','),
    DELIVERY_TIMEOUT_MS: '5000',
    // Short enough to repair a terminated delivery and re-hand a lost pause or resume within the run.
    RECONCILE_INTERVAL: '3s',
    DELIVERY_PAUSE_RECHECK: '5s',
  };

  // Worker slots on the one task queue; a worker that dies (killed, or on a lost server) is replaced, as a
  // process supervisor would.
  const workers: WorkerProcess[] = Array.from({ length: workerCount }, () => spawnWorker(h, workerEnv));
  let stopping = false;
  const keepWorker = async (slot: number): Promise<void> => {
    while (!stopping) {
      await workers[slot]?.exited;
      if (stopping) return;
      await sleep(300);
      workers[slot] = spawnWorker(h, workerEnv);
    }
  };
  const supervisors = workers.map((_, slot) => keepWorker(slot));

  // Publishers: accepted events are what must arrive; a publish during an outage is retried until accepted.
  const accepted = new Set<string>();
  const publish = async (eventId: string, documentId: string): Promise<void> => {
    for (;;) {
      try {
        await h.engine.publishEvent({ tenantId, event: 'document.approved', documentId, eventId });
        accepted.add(eventId);
        return;
      } catch {
        await sleep(500);
      }
    }
  };
  const publishing = (async () => {
    for (let i = 0; i < options.events; i++) {
      const doc =
        orderedDocs[i % Math.max(1, orderedDocs.length)] ?? (await retryingStore(() => addDocument(h, tenantId)));
      const eventId = `chaos-${i}`;
      publishIndex.set(eventId, i);
      await publish(eventId, doc);
      if (i % 5 === 0) {
        inject('event published twice');
        await publish(eventId, doc);
      }
      await sleep(between(50, 250));
    }
  })();

  const faultsDone = (async () => {
    const plan: (() => Promise<void>)[] = [];
    for (let k = 0; k < options.workerKills; k++) {
      plan.push(() => {
        const slot = Math.floor(Math.random() * workers.length);
        workers[slot]?.child.kill('SIGKILL');
        inject(
          workers.length > 1 ? `one of ${workers.length} workers SIGKILLed + restarted` : 'worker SIGKILL + restart',
        );
        return Promise.resolve();
      });
    }
    if (options.receiverDownMs > 0) {
      plan.push(async () => {
        inject('receiver down');
        receiver.server.closeAllConnections();
        await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
        await sleep(options.receiverDownMs);
        await new Promise<void>((resolve) => receiver.server.listen(port, '127.0.0.1', resolve));
      });
    }
    if (options.restartTemporal && !external)
      plan.push(() =>
        restartTemporal(h.infra.processes[0], h.infra.temporalAddress, h.workDir).then(() =>
          inject('Temporal server restart'),
        ),
      );
    if (options.restartStore && !external)
      plan.push(() =>
        restartStore(h.infra.processes[1], h.infra.mongoUri, h.workDir).then(() => inject('store restart')),
      );
    const toggled = tenants[0]?.webhooks[0];
    for (let k = 0; k < (options.pauseResumeToggles ?? 0) && toggled; k++) {
      plan.push(async () => {
        await retryingStore(() => h.engine.setWebhookStatus(tenantId, toggled._id, 'inactive'));
        await sleep(between(200, 1_500));
        await retryingStore(() => h.engine.setWebhookStatus(tenantId, toggled._id, 'active'));
        inject('webhook paused and resumed');
      });
    }
    if (options.terminateDelivery) {
      plan.push(async () => {
        // A delivery in its backoff (half the attempts fail), terminated as an operator would from the Web UI.
        // Events of its own, published until one of their deliveries is caught retrying: by this point the
        // steady publishing may be over and every earlier delivery done.
        for (let extra = 0; extra < 30; extra++) {
          const eventId = `chaos-terminate-${extra}`;
          await publish(eventId, await retryingStore(() => addDocument(h, tenantId)));
          for (let look = 0; look < 12; look++) {
            const records = await retryingStore(() => h.store.deliveries.listForEvent(`${tenantId}:${eventId}`));
            const retrying = records.find((d) => d.status === 'retrying');
            if (retrying) {
              await h.temporal.workflow.getHandle(retrying.workflowId).terminate('chaos: terminated by hand');
              inject('delivery workflow terminated by hand (reconciler repairs)');
              return;
            }
            await sleep(250);
          }
        }
      });
    }
    for (const step of plan.sort(() => Math.random() - 0.5)) {
      await sleep(between(500, 2_000));
      await step();
    }
  })();

  await Promise.all([publishing, faultsDone]);
  const toggledWebhook = tenants[0]?.webhooks[0];
  /** Deliveries skipped while their webhook was inactive and replayed by a recover: out of order by design. */
  const replayed = new Set<string>();
  if (options.pauseResumeToggles && toggledWebhook) {
    // Events published while it was inactive were skipped, by design: replay them as an operator would.
    const skipped = await retryingStore(() =>
      h.store.deliveries.listForTenant(tenantId, { webhookId: toggledWebhook._id, status: 'skipped' }, 10_000),
    );
    skipped.forEach((d) => replayed.add(d._id));
    await retryingStore(() => h.engine.recoverWebhook(tenantId, toggledWebhook._id, new Date(started), new Date()));
  }
  const expected = accepted.size * options.webhooks;
  say(`faults done; waiting for ${expected} deliveries`);
  const deadline = Date.now() + 10 * 60_000;
  const distinct = () => new Set(receiver.received.map((r) => r.deliveryId)).size;
  while (distinct() < expected && Date.now() < deadline) await sleep(250);

  // Every delivery must have finished as succeeded, with attempts 1..n each recorded once.
  let notSucceeded = 0;
  let attemptGaps = 0;
  const deliveries = (
    await Promise.all(
      [...accepted].map((eventId) => retryingStore(() => h.store.deliveries.listForEvent(`${tenantId}:${eventId}`))),
    )
  ).flat();
  await waitFor(
    async () =>
      (await retryingStore(() => Promise.all(deliveries.map((d) => h.store.deliveries.findById(d._id))))).every(
        (d) => d?.status === 'succeeded',
      ),
    60_000,
  );
  for (const d of deliveries) {
    const current = await h.store.deliveries.findById(d._id);
    if (current?.status !== 'succeeded') notSucceeded++;
    const numbers = (await h.store.deliveries.listAttempts(d._id)).map((a) => a.attempt);
    if (numbers.join(',') !== Array.from({ length: current?.attemptCount ?? 0 }, (_, i) => i + 1).join(','))
      attemptGaps++;
  }
  // A delivery the receiver accepted twice: say what its attempts were, so the cause can be told.
  const seen = new Map<string, number>();
  for (const r of receiver.received) seen.set(r.deliveryId, (seen.get(r.deliveryId) ?? 0) + 1);
  for (const [deliveryId, count] of seen) {
    if (count < 2) continue;
    const attempts = await retryingStore(() => h.store.deliveries.listAttempts(deliveryId));
    say(
      `accepted ${count} times by the receiver: ${deliveryId} (${attempts
        .map(
          (a) =>
            `#${a.attempt} ${a.trigger} ${a.delivered ? 'delivered' : (a.errorClass ?? '?')}` +
            // Who closed an interrupted attempt: its own cancelled try, or a later try after the claim's lease.
            (a.errorClass === 'interrupted'
              ? ` [${a.error ?? ''}; try ${a.claimedByTry ?? '?'}, ${a.durationMs} ms]`
              : ''),
        )
        .join(', ')})`,
    );
  }
  const { ordered, outOfOrder } = orderedWebhook ? checkOrder(orderedWebhook._id) : { ordered: 0, outOfOrder: 0 };
  let stillRunning = 0;
  await waitFor(async () => {
    stillRunning = 0;
    const query = `TenantId="${tenantId}" AND WorkflowType="deliveryWorkflow" AND ExecutionStatus="Running"`;
    for await (const _ of h.temporal.workflow.list({ query })) stillRunning++;
    return stillRunning === 0;
  }, 60_000);

  stopping = true;
  await h.temporal.schedule
    .getHandle(`docflo-reconcile:${h.taskQueue}`)
    .delete()
    .catch(() => undefined);
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.race([Promise.all(supervisors), sleep(10_000)]);
  await receiver.close().catch(() => undefined);
  await h.close();
  const delivered = distinct();
  faults.set('receiver answered 503 (half the requests)', failedOnPurpose);
  return {
    faults: [...faults.entries()].map(([fault, injected]) => ({ fault, injected })),
    expected,
    delivered,
    lost: Math.max(0, expected - delivered),
    duplicatesSeen: receiver.received.length - delivered,
    notSucceeded,
    attemptGaps,
    stillRunning,
    ordered,
    outOfOrder,
    seconds: Math.round((Date.now() - started) / 1000),
  };

  /**
   * The ordered webhook's deliveries as the receiver accepted them: per document, the events' publish indexes
   * never go down (a delivery accepted twice, after a killed worker, comes again before the next one starts).
   */
  function checkOrder(webhookId: string): { ordered: number; outOfOrder: number } {
    const eventOf = new Map(deliveries.filter((d) => d.webhookId === webhookId).map((d) => [d._id, d.eventId]));
    const lastIndex = new Map<string, number>();
    const wrong = new Set<string>();
    const arrivals = new Map<string, number[]>();
    for (const r of receiver.received) {
      const index = publishIndex.get(eventOf.get(r.deliveryId) ?? '');
      // A delivery skipped while the webhook was paused has finished (README: ordering); its replay by a recover
      // comes after the document's later events.
      if (index === undefined || replayed.has(r.deliveryId)) continue;
      // One order per document, or one for the whole webhook.
      const key = options.ordering === 'webhook' ? 'the webhook' : `document ${r.docId}`;
      if (index < (lastIndex.get(key) ?? -1)) wrong.add(key);
      lastIndex.set(key, Math.max(index, lastIndex.get(key) ?? -1));
      arrivals.set(key, [...(arrivals.get(key) ?? []), index]);
    }
    // Each such document's events in the order they arrived (publish indexes), so the swap can be traced.
    for (const doc of wrong) say(`out of order at the ordered webhook: ${doc} got ${arrivals.get(doc)?.join(', ')}`);
    const checked = [...eventOf.keys()].filter((id) => !replayed.has(id)).length;
    if (checked < eventOf.size)
      say(`${eventOf.size - checked} ordered deliveries were skipped while paused and replayed`);
    return { ordered: checked, outOfOrder: wrong.size };
  }

  async function restartTemporal(proc: SupervisedProcess | undefined, address: string, workDir: string) {
    if (!proc) return;
    await proc.stop();
    const binary = await ensureTemporalCli({
      explicitVariable: 'TEMPORAL_CLI_PATH',
      searchPath: process.env.PATH ?? '',
      toolsDir: path.join(ROOT, '.tools'),
      say,
    });
    const restarted = await startTemporalDevServer({
      binary,
      dataDir: path.join(workDir, 'temporal'),
      namespace: 'default',
      port: Number(address.split(':').pop()),
    });
    h.infra.processes[0] = restarted.process;
  }

  async function restartStore(proc: SupervisedProcess | undefined, uri: string, workDir: string) {
    if (!proc) return;
    await proc.stop();
    await sleep(1_000);
    const binary = await ensureFerretDb({
      explicitVariable: 'FERRETDB_PATH',
      searchPath: process.env.PATH ?? '',
      toolsDir: path.join(ROOT, '.tools'),
      say,
    });
    const restarted = await startFerretDb({
      binary,
      dataDir: path.join(workDir, 'ferretdb'),
      port: Number(new URL(uri).port),
      postgresqlUrl: h.ferretdbPostgresqlUrl,
    });
    h.infra.processes[1] = restarted.process;
  }

  async function retryingStore<T>(fn: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await fn();
      } catch {
        await sleep(500);
      }
    }
  }

  async function waitFor(check: () => Promise<boolean>, ms: number) {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (await check().catch(() => false)) return;
      await sleep(500);
    }
  }
}

export function chaosTable(r: ChaosReport): string {
  return [
    '| fault | injected |',
    '| --- | ---: |',
    ...r.faults.map((f) => `| ${f.fault} | ${f.injected} |`),
    '',
    '| deliveries expected | delivered | lost | duplicates seen by the receiver | not succeeded | attempt-number gaps | still running | ordered deliveries | documents out of order |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${r.expected} | ${r.delivered} | ${r.lost} | ${r.duplicatesSeen} | ${r.notSucceeded} | ${r.attemptGaps} | ${r.stillRunning} | ${r.ordered} | ${r.outOfOrder} |`,
  ].join('\n');
}
