/**
 * The floor's worker process (bench only): the floor workflows and the engine's sender, on their own task
 * queue. Env: TEMPORAL_ADDRESS, FLOOR_TASK_QUEUE, NODE_EXTRA_CA_CERTS (the bench receiver's CA).
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createSender } from '../../src/delivery/sender';
import { parseCidrs } from '../../src/delivery/ssrf';
import { trustedCertificates } from '../../src/delivery/trust';
import { createFloorActivities } from './activities';

async function main(): Promise<void> {
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '' });
  const sender = createSender({
    timeoutMs: 30_000,
    maxResponseBytes: 16 * 1024,
    ca: trustedCertificates({ extraCaFiles: [process.env.NODE_EXTRA_CA_CERTS] }),
    allowedCidrs: parseCidrs('127.0.0.1/32'),
  });
  const worker = await Worker.create({
    connection,
    taskQueue: process.env.FLOOR_TASK_QUEUE ?? 'floor',
    workflowsPath: require.resolve('./workflows'),
    activities: createFloorActivities(sender),
  });
  process.on('SIGTERM', () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
  });
  await worker.run();
  await sender.close();
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
