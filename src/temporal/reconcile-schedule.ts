/**
 * The reconciler's Temporal Schedule, one per task queue, created (or brought to the configured interval) by
 * every worker on start: idempotent, so any number of workers may race to it. Overlapping runs are skipped.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { reconcileDeliveriesWorkflow } from '../workflows';

export function reconcileScheduleId(taskQueue: string): string {
  return `docflo-reconcile:${taskQueue}`;
}

export async function ensureReconcileSchedule(
  temporal: Client,
  options: { taskQueue: string; intervalSeconds: number },
): Promise<string> {
  const scheduleId = reconcileScheduleId(options.taskQueue);
  const spec = { intervals: [{ every: options.intervalSeconds * 1000 }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'reconcileDeliveriesWorkflow' satisfies (typeof reconcileDeliveriesWorkflow)['name'],
    taskQueue: options.taskQueue,
    // A record unchanged for one interval is old enough to judge: a fresh `pending` may not have started yet.
    args: [{ olderThanSeconds: Math.max(options.intervalSeconds, 1) }],
    workflowId: `reconcile:${options.taskQueue}`,
  };
  try {
    await temporal.schedule.create({
      scheduleId,
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await temporal.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action }));
  }
  return scheduleId;
}
