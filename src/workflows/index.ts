/** The workflow bundle's entry: every workflow the worker registers. */
export { deliveryWorkflow } from './delivery-workflow';
export { platformEventWorkflow } from './platform-event-workflow';
export { recoverWebhookWorkflow } from './recover-webhook-workflow';
export { webhookControlWorkflow } from './webhook-control-workflow';
export { reconcileDeliveriesWorkflow } from './reconcile-workflow';
export { purgeWorkflow } from './purge-workflow';
export { tenantErasureWorkflow } from './tenant-erasure-workflow';
export { endpointGateWorkflow } from './endpoint-gate-workflow';
