/**
 * A tenant's erasure (`tenant-erasure:<erasureId>`, started by DELETE /v1/tenants/{id}), durable from its
 * first step: the tenant sealed (keys and webhooks gone), its running workflows stopped, its records deleted
 * page by page at the purge's pace (PURGE_BATCH, PURGE_PAUSE_MS), its workflow histories deleted from
 * Temporal, and last the tenant record itself. Every step is idempotent: a worker killed anywhere, the retry
 * or the next worker goes on. Its own history carries IDs only.
 */
import { continueAsNew, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import { INFRASTRUCTURE_RETRY } from './activity-options';
import type { ErasureActivities, ErasureStep, TenantErasureInput } from './contracts';

const erasure = proxyActivities<ErasureActivities>({
  // One bounded page: a worker killed in the middle of one has it retried elsewhere within a minute.
  startToCloseTimeout: '1 minute',
  retry: INFRASTRUCTURE_RETRY,
});

/** Polls that must find nothing in a row before a step counts as done (Temporal's listing lags a little). */
const QUIET_POLLS = 2;
const POLL_MS = 1_000;
/** History events before it continues as new (a big tenant's pages would grow it without bound). */
const HISTORY_LIMIT = 5_000;

export async function tenantErasureWorkflow(input: TenantErasureInput): Promise<void> {
  const ids = { erasureId: input.erasureId, tenantId: input.tenantId };
  const limit = input.batch ?? 200;
  const pauseMs = input.pauseMs ?? 1_000;
  const goOn = (step: ErasureStep) => continueAsNew<typeof tenantErasureWorkflow>({ ...input, step });
  const historyFull = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > HISTORY_LIMIT;

  let step = input.step ?? 'stopping';
  if (step === 'stopping') {
    await erasure.sealTenant(ids);
    for (let quiet = 0; quiet < QUIET_POLLS;) {
      const { running } = await erasure.stopTenantWorkflows(ids);
      quiet = running === 0 ? quiet + 1 : 0;
      if (quiet < QUIET_POLLS) await sleep(POLL_MS);
    }
    step = 'deleting';
    await erasure.setErasureStep({ ...ids, step });
  }
  if (step === 'deleting') {
    while ((await erasure.eraseTenantPage({ ...ids, limit })).deleted > 0) {
      if (historyFull()) return goOn('deleting');
      await sleep(pauseMs);
    }
    step = 'histories';
    await erasure.setErasureStep({ ...ids, step });
  }
  for (let quiet = 0; quiet < QUIET_POLLS;) {
    const { listed } = await erasure.eraseTenantHistories({ ...ids, limit });
    quiet = listed === 0 ? quiet + 1 : 0;
    if (historyFull()) return goOn('histories');
    if (quiet < QUIET_POLLS) await sleep(listed === 0 ? POLL_MS : pauseMs);
  }
  await erasure.completeErasure(ids);
}
