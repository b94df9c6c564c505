/** The activities the worker registers, built from injected dependencies. */
import { createControlActivities } from './control';
import { createReconcileActivities } from './reconcile';
import { createSendAttempt } from './send-attempt';
import type { ActivityDeps } from './deps';
import { createDispatchActivities } from './dispatch';
import { createRecoverPage } from './recover';

export type { ActivityDeps } from './deps';

export function createActivities(deps: ActivityDeps) {
  const { dispatchEvent } = createDispatchActivities(deps);
  return {
    dispatchEvent,
    ...createSendAttempt(deps),
    ...createControlActivities(deps),
    ...createReconcileActivities(deps),
    recoverPage: createRecoverPage(deps),
  };
}
