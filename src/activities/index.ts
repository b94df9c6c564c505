/** The activities the worker registers, built from injected dependencies. */
import { createControlActivities } from './control';
import { createReconcileActivities } from './reconcile';
import { createSendAttempt } from './send-attempt';
import type { ActivityDeps } from './deps';
import { createDispatchActivities } from './dispatch';
import { createRecoverPage } from './recover';
import { createPurgeActivities } from './purge';
import { createErasureActivities } from './erasure';
import { createGateActivities } from './gate';

export type { ActivityDeps } from './deps';
import type { WorkflowActivities } from '../workflows/contracts';

/** Every activity the workflows declare they need (WorkflowActivities), and nothing they do not. */
export function createActivities(deps: ActivityDeps): WorkflowActivities {
  const { dispatchEvent } = createDispatchActivities(deps);
  const control = createControlActivities(deps);
  return {
    dispatchEvent,
    ...createSendAttempt(deps, control.recordDeliveryState),
    ...control,
    ...createReconcileActivities(deps),
    recoverPage: createRecoverPage(deps),
    ...createPurgeActivities(deps),
    ...createErasureActivities(deps),
    ...createGateActivities(deps),
  };
}
