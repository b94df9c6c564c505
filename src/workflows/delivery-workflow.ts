/**
 * deliveryWorkflow: one type name in the Web UI across releases. A run started by this release records the
 * `delivery-v2` patch marker and runs v2; a run started before it (no marker in its history) replays and
 * finishes as v1. Retire v1 as docs/operations.md says, once no v1 run can still be open.
 */
import { patched } from '@temporalio/workflow';
import type { DeliveryWorkflowInput, DeliveryWorkflowResult } from './contracts';
import { deliveryWorkflowV1 } from './delivery-workflow-v1';
import { deliveryWorkflowV2 } from './delivery-workflow-v2';

export const DELIVERY_V2_PATCH = 'delivery-v2';

export async function deliveryWorkflow(input: DeliveryWorkflowInput): Promise<DeliveryWorkflowResult> {
  if (patched(DELIVERY_V2_PATCH)) return deliveryWorkflowV2(input);
  return deliveryWorkflowV1(input);
}
