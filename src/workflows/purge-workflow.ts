/**
 * Started by the `docflo-purge:<task queue>` Schedule every PURGE_INTERVAL: deletes what is older than its
 * tenant's retention, in pages of PURGE_BATCH with PURGE_PAUSE between them, so deliveries never wait behind
 * it: finished deliveries with their attempts, then events with no delivery left, then attempts whose delivery
 * is gone. A run stops after `maxPages`; the next one goes on. A crash retries the page it was on.
 */
import { proxyActivities, sleep } from '@temporalio/workflow';
import { INFRASTRUCTURE_RETRY } from './activity-options';
import type { PurgeActivities, PurgeStep, PurgeWorkflowInput, PurgeWorkflowResult } from './contracts';

const { planPurge, purgePage, reportRetention } = proxyActivities<PurgeActivities>({
  // One bounded page: a worker killed in the middle of one has it retried elsewhere within a minute.
  startToCloseTimeout: '1 minute',
  retry: INFRASTRUCTURE_RETRY,
});

const STEPS: PurgeStep[] = ['deliveries', 'events', 'attempts'];

export async function purgeWorkflow(input: PurgeWorkflowInput = {}): Promise<PurgeWorkflowResult> {
  const limit = input.batch ?? 200;
  const pauseMs = input.pauseMs ?? 1_000;
  const maxPages = input.maxPages ?? 500;
  const plan = await planPurge();
  const purged: Record<PurgeStep, number> = { deliveries: 0, events: 0, attempts: 0 };
  let pages = 0;
  let complete = true;
  steps: for (const step of STEPS) {
    for (const scope of plan.scopes) {
      let afterId: string | undefined;
      do {
        if (pages === maxPages) {
          complete = false;
          break steps;
        }
        if (pages > 0) await sleep(pauseMs);
        const page = await purgePage({ step, scope, afterId, limit });
        purged[step] += page.purged;
        purged.attempts += page.attempts ?? 0;
        afterId = page.nextAfterId;
        pages++;
      } while (afterId !== undefined);
    }
  }
  const report = await reportRetention({
    purged: purged.deliveries + purged.events + purged.attempts,
    // The tenants with a retention of their own, as the plan found them (their old records are not lag).
    ownRetention: plan.scopes.flatMap((s) => (s.tenantId === undefined ? [] : [s.tenantId])),
  });
  return { purged, pages, complete, ...report };
}
