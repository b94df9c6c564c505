/**
 * The tenant erasure's activities (tenantErasureWorkflow). Each is idempotent: a retried or resumed erasure
 * does again only what is left. The tenant's workflows are found by their TenantId search attribute.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { ErasureActivities, ErasureIds } from '../workflows/contracts';
import { ID_PATTERN } from '../client/schemas';
import type { ActivityDeps } from './deps';

const TERMINATE_CONCURRENCY = 25;
/** Running workflows one call terminates at most (bounded by the activity's timeout). */
const STOP_PAGE = 500;
export const ERASED_TENANT = 'tenant erased';

/** Temporal's visibility query for a tenant's workflows (the ID is validated: letters, digits, . _ ~ -). */
export function tenantWorkflowsQuery(tenantId: string, runningOnly: boolean): string {
  if (!ID_PATTERN.test(tenantId)) throw new Error(`not a tenant ID: ${tenantId}`);
  return `TenantId = '${tenantId}'${runningOnly ? " AND ExecutionStatus = 'Running'" : ''}`;
}

export function createErasureActivities(deps: ActivityDeps): ErasureActivities {
  const now = (): Date => deps.now?.() ?? new Date();
  const log = deps.logger.child({ module: 'erasure' });
  const { erasures } = deps.store;
  const temporal = (): Client => {
    if (!deps.temporal) throw new Error('erasing a tenant needs a Temporal client');
    return deps.temporal;
  };

  async function sealTenant({ erasureId, tenantId }: ErasureIds): Promise<void> {
    await erasures.seal(erasureId, tenantId);
  }

  /** Running workflows of the tenant, terminated: they send nothing (the webhooks are gone) and are erased next. */
  async function stopTenantWorkflows({ tenantId }: ErasureIds): Promise<{ running: number }> {
    const client = temporal();
    const running: { workflowId: string; runId: string }[] = [];
    for await (const w of client.workflow.list({ query: tenantWorkflowsQuery(tenantId, true), pageSize: 500 })) {
      running.push({ workflowId: w.workflowId, runId: w.runId });
      if (running.length >= STOP_PAGE) break; // the workflow calls again until none is left
    }
    for (let i = 0; i < running.length; i += TERMINATE_CONCURRENCY) {
      await Promise.all(
        running.slice(i, i + TERMINATE_CONCURRENCY).map(async (w) => {
          try {
            await client.workflow.getHandle(w.workflowId, w.runId).terminate(ERASED_TENANT);
          } catch (err) {
            if (!(err instanceof WorkflowNotFoundError)) throw err; // ended meanwhile
          }
        }),
      );
    }
    if (running.length > 0) log.info({ tenantId, terminated: running.length }, 'erasure: workflows stopped');
    return { running: running.length };
  }

  async function setErasureStep(input: ErasureIds & { step: 'stopping' | 'deleting' | 'histories' }) {
    const at = now();
    if (input.step === 'deleting') await erasures.markSendingStopped(input.erasureId, at);
    await erasures.stage(input.erasureId, input.step, at);
  }

  async function eraseTenantPage(input: ErasureIds & { limit: number }): Promise<{ deleted: number }> {
    const deleted = await erasures.deletePage(input.erasureId, input.tenantId, input.limit);
    return { deleted: Object.values(deleted).reduce((a, b) => a + (b ?? 0), 0) };
  }

  /**
   * A page of the tenant's workflow executions (any status) deleted from Temporal: their histories hold IDs
   * only, but the Web UI lists them by tenant and shows each delivery's endpoint host in its summary.
   */
  async function eraseTenantHistories(input: ErasureIds & { limit: number }): Promise<{ listed: number }> {
    const client = temporal();
    const found: { workflowId: string; runId: string }[] = [];
    for await (const w of client.workflow.list({ query: tenantWorkflowsQuery(input.tenantId, false) })) {
      found.push({ workflowId: w.workflowId, runId: w.runId });
      if (found.length >= input.limit) break;
    }
    let deleted = 0;
    for (let i = 0; i < found.length; i += TERMINATE_CONCURRENCY) {
      const results = await Promise.all(
        found.slice(i, i + TERMINATE_CONCURRENCY).map(async (w) => {
          try {
            await client.workflowService.deleteWorkflowExecution({
              namespace: client.options.namespace,
              workflowExecution: { workflowId: w.workflowId, runId: w.runId },
            });
            return true;
          } catch (err) {
            // Deleted already (the listing lags behind the deletion): nothing to do.
            if (isNotFound(err)) return false;
            throw err;
          }
        }),
      );
      deleted += results.filter(Boolean).length;
    }
    await erasures.countWorkflows(input.erasureId, deleted);
    return { listed: found.length };
  }

  async function completeErasure({ erasureId, tenantId }: ErasureIds): Promise<void> {
    await erasures.complete(erasureId, tenantId, now());
    log.info({ erasureId, tenantId }, 'tenant erased');
  }

  return { sealTenant, stopTenantWorkflows, setErasureStep, eraseTenantPage, eraseTenantHistories, completeErasure };
}

/** gRPC NOT_FOUND (code 5), as the service client throws it. */
function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 5;
}
