/** The purge's Temporal Schedule, one per task queue (docs/operations.md, "Retention"). */
import type { Client } from '@temporalio/client';
import type { purgeWorkflow } from '../workflows';
import type { PurgeWorkflowInput } from '../workflows/contracts';
import { ensureIntervalSchedule } from './interval-schedule';

export function purgeScheduleId(taskQueue: string): string {
  return `docflo-purge:${taskQueue}`;
}

export async function ensurePurgeSchedule(
  temporal: Client,
  options: { taskQueue: string; intervalSeconds: number; input: PurgeWorkflowInput },
): Promise<string> {
  return ensureIntervalSchedule(temporal, {
    scheduleId: purgeScheduleId(options.taskQueue),
    intervalSeconds: options.intervalSeconds,
    workflowType: 'purgeWorkflow' satisfies (typeof purgeWorkflow)['name'],
    workflowId: `purge:${options.taskQueue}`,
    taskQueue: options.taskQueue,
    args: [options.input],
  });
}
