/** The activities the worker registers, built from injected dependencies. */
import type { DeliveryStatus } from '../store/model';
import { createAttemptDelivery } from './attempt-delivery';
import { createControlActivities } from './control';
import { createReconcileActivities } from './reconcile';
import { createSendAttempt } from './send-attempt';
import type { ActivityDeps } from './deps';
import { createDispatchActivities } from './dispatch';
import { createPrepareEvent } from './prepare-event';
import { createClaimRecoverable } from './recover';

export type { ActivityDeps } from './deps';

export function createActivities(deps: ActivityDeps) {
  const { dispatchPage, dispatchEvent, completeEvent } = createDispatchActivities(deps);
  return {
    /** prepareEvent, dispatchPage and completeEvent serve event workflows of the first release until they drain. */
    prepareEvent: createPrepareEvent(deps),
    dispatchPage: (input: Parameters<typeof dispatchPage>[0]) => dispatchPage(input),
    completeEvent,
    dispatchEvent,
    /** v1 deliveries (started before versioned pause/resume) still call this until they drain. */
    attemptDelivery: createAttemptDelivery(deps),
    ...createSendAttempt(deps),
    ...createControlActivities(deps),
    ...createReconcileActivities(deps),
    claimRecoverable: createClaimRecoverable(deps),
    async recordDeliveryStatus(input: { deliveryId: string; status: DeliveryStatus }): Promise<void> {
      await deps.store.deliveries.update(input.deliveryId, { status: input.status }, deps.now?.() ?? new Date());
    },
  };
}
