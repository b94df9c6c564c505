/** The reconciler's Temporal Schedule, one per task queue (src/temporal/interval-schedule.ts). */
import type { Client } from '@temporalio/client';
import type { reconcileDeliveriesWorkflow } from '../workflows';
import { ensureIntervalSchedule } from './interval-schedule';

export function reconcileScheduleId(taskQueue: string): string {
  return `docflo-reconcile:${taskQueue}`;
}

export async function ensureReconcileSchedule(
  temporal: Client,
  options: { taskQueue: string; intervalSeconds: number },
): Promise<string> {
  return ensureIntervalSchedule(temporal, {
    scheduleId: reconcileScheduleId(options.taskQueue),
    intervalSeconds: options.intervalSeconds,
    workflowType: 'reconcileDeliveriesWorkflow' satisfies (typeof reconcileDeliveriesWorkflow)['name'],
    workflowId: `reconcile:${options.taskQueue}`,
    taskQueue: options.taskQueue,
    // A record unchanged for one interval is old enough to judge: a fresh `pending` may not have started yet.
    args: [{ olderThanSeconds: Math.max(options.intervalSeconds, 1) }],
  });
}
