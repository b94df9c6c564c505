/**
 * Erasing a tenant (DELETE /v1/tenants/{id}), the part the API does before it answers: the tenant marked
 * (it takes no new key, event or change), its keys revoked and its webhooks deleted (no attempt starts: an
 * attempt reads its webhook after claiming and sends nothing once it is gone), then a wait until no attempt
 * claimed before that is still being sent, so nothing reaches the tenant's receivers after the answer. The rest
 * is tenantErasureWorkflow's, durable from its start. A repeated call answers the same erasure, and starts its
 * workflow again if an earlier call failed before it did.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  type Client,
} from '@temporalio/client';
import { NotFoundError } from '../errors';
import { pollUntil } from '../infra/wait';
import type { Store } from '../store';
import type { ErasureRecord } from '../store/erasure-repository';
import type { tenantErasureWorkflow } from '../workflows/tenant-erasure-workflow';

export interface TenantEraserDeps {
  temporal: Client;
  taskQueue: string;
  store: Store;
  /** DELIVERY_TIMEOUT_MS: how long an attempt's send may last. */
  deliveryTimeoutMs: number;
  /** How long the call waits for attempts in flight to end (default: the send timeout plus 15 s). */
  waitMs?: number;
  /** The pace of the deletes (PURGE_BATCH, PURGE_PAUSE_MS). */
  pace: { batch: number; pauseMs: number };
}

/** A claim's lease beyond its send deadline (send-attempt.ts): a redelivery touched longer ago has ended. */
const LEASE_MARGIN_MS = 45_000;

export function tenantErasureWorkflowId(erasureId: string): string {
  return `tenant-erasure:${erasureId}`;
}

export function createTenantEraser(deps: TenantEraserDeps) {
  const waitMs = deps.waitMs ?? deps.deliveryTimeoutMs + 15_000;

  async function eraseTenant(tenantId: string): Promise<ErasureRecord> {
    const erasure = await deps.store.erasures.begin(tenantId, new Date());
    if (!erasure) {
      // No such tenant: a completed erasure of this ID is the same erasure, answered again.
      const done = await deps.store.erasures.latestForTenant(tenantId);
      if (done) return done;
      throw new NotFoundError('tenant');
    }
    await deps.store.erasures.seal(erasure._id, tenantId);
    // Durable from here: an API that dies during the wait below leaves the workflow to finish the erasure.
    await start(erasure);
    if (!erasure.sendingStoppedAt && (await noneSending(tenantId))) {
      await deps.store.erasures.markSendingStopped(erasure._id, new Date());
    }
    return (await deps.store.erasures.findById(erasure._id)) ?? erasure;
  }

  /** Whether every attempt claimed before the seal has ended (a claim under an ended lease sends nothing). */
  async function noneSending(tenantId: string): Promise<boolean> {
    const recentMs = deps.deliveryTimeoutMs + LEASE_MARGIN_MS;
    return pollUntil(Date.now() + waitMs, async () => {
      const now = new Date();
      const candidates = await deps.store.erasures.mayBeSending(tenantId, recentMs, now);
      return !(await deps.store.deliveries.anySending(candidates, now));
    });
  }

  async function start(erasure: ErasureRecord): Promise<void> {
    try {
      await deps.temporal.workflow.start<typeof tenantErasureWorkflow>('tenantErasureWorkflow', {
        taskQueue: deps.taskQueue,
        workflowId: tenantErasureWorkflowId(erasure._id),
        args: [{ erasureId: erasure._id, tenantId: erasure.tenantId, ...deps.pace }],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        // A completed run is not run again; one an operator terminated (or that failed) is started anew.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        staticSummary: `erase tenant ${erasure.tenantId}`,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  return { eraseTenant };
}
