/**
 * The Temporal floor for this design (bench only): the engine's shape with nothing of ours in it. An event
 * workflow starts one child per subscriber in one workflow task; each child makes one local activity that
 * sends the signed POST with the engine's sender. No store, no search attributes, no retries.
 */
import { ParentClosePolicy, proxyLocalActivities, startChild } from '@temporalio/workflow';
import type { createFloorActivities } from './activities';

const { floorSend } = proxyLocalActivities<ReturnType<typeof createFloorActivities>>({
  startToCloseTimeout: '1 minute',
});

export interface FloorEventInput {
  eventKey: string;
  docId: string;
  urls: string[];
}

export async function floorEventWorkflow(input: FloorEventInput): Promise<void> {
  await Promise.all(
    input.urls.map((url, i) =>
      startChild(floorDeliveryWorkflow, {
        workflowId: `floor-delivery:${input.eventKey}:${i}`,
        args: [{ url, docId: input.docId, deliveryId: `dlv_floor_${input.eventKey}_${i}` }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      }),
    ),
  );
}

export async function floorDeliveryWorkflow(input: {
  url: string;
  docId: string;
  deliveryId: string;
}): Promise<number> {
  return floorSend(input);
}
