/** The Temporal worker that runs the engine's workflows and activities on one task queue. */
import { NativeConnection, Worker } from '@temporalio/worker';
import type { createActivities } from '../activities';
import { pacedTaskQueue } from '../workflows/ids';

export interface EngineWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: ReturnType<typeof createActivities>;
  /** A pre-built bundle (production); without one the workflows are bundled at start (dev, tests). */
  workflowBundlePath?: string;
  maxConcurrentActivities?: number;
  maxConcurrentWorkflowTasks?: number;
  maxCachedWorkflows?: number;
}

/**
 * The worker of the paced task queue (src/workflows/ids.ts, pacedTaskQueue): the same activities, no workflows,
 * its own slots.
 */
export async function createPacedWorker(
  options: Pick<EngineWorkerOptions, 'connection' | 'namespace' | 'taskQueue' | 'activities'> & {
    maxConcurrentActivities: number;
  },
): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: pacedTaskQueue(options.taskQueue),
    activities: options.activities,
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities,
  });
}

export function workflowsPath(): string {
  return require.resolve('../workflows');
}

export async function createEngineWorker(options: EngineWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: options.activities,
    ...(options.workflowBundlePath
      ? { workflowBundle: { codePath: options.workflowBundlePath } }
      : { workflowsPath: workflowsPath() }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities ?? 200,
    maxConcurrentLocalActivityExecutions: options.maxConcurrentActivities ?? 200,
    maxConcurrentWorkflowTaskExecutions: options.maxConcurrentWorkflowTasks ?? 100,
    ...(options.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
  });
}
