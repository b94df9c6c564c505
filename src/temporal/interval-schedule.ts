/**
 * A Temporal Schedule that starts one workflow every interval, created (or brought to the configured interval
 * and arguments) by every worker on start: idempotent, so any number of workers may race to it. Overlapping
 * runs are skipped. The reconciler and the purge each have one per task queue.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';

export async function ensureIntervalSchedule(
  temporal: Client,
  options: {
    scheduleId: string;
    intervalSeconds: number;
    workflowType: string;
    workflowId: string;
    taskQueue: string;
    args: unknown[];
  },
): Promise<string> {
  const { scheduleId } = options;
  const spec = { intervals: [{ every: options.intervalSeconds * 1000 }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: options.workflowType,
    taskQueue: options.taskQueue,
    args: options.args,
    workflowId: options.workflowId,
  };
  try {
    await temporal.schedule.create({ scheduleId, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP } });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await temporal.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action }));
  }
  return scheduleId;
}
