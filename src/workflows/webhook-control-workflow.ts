/**
 * One per webhook (`webhook-control:<webhookId>`), started or signalled by the API on every status change:
 * it takes the change out of the HTTP request and hands the newest status version to every running delivery
 * of the webhook, retrying until done. An API that crashes after storing the status, a failed signal or a
 * retried PATCH all end the same way: the latest version reaches every delivery (and a paused delivery's own
 * re-check timer catches anything else). It ends after a quiet minute; the next change starts it again.
 */
import {
  condition,
  continueAsNew,
  defineSignal,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { INFRASTRUCTURE_RETRY } from './activity-options';
import type { WebhookStatusChange, ControlActivities } from './contracts';

const { fanOutWebhookStatus } = proxyActivities<ControlActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: INFRASTRUCTURE_RETRY,
});

export const webhookStatusChangedSignal = defineSignal<[WebhookStatusChange]>('webhookStatusChanged');

export interface WebhookControlInput {
  webhookId: string;
  /** Carried over continue-as-new. */
  latest?: WebhookStatusChange;
  handedOut?: number;
}

const QUIET_BEFORE_ENDING = '1 minute';

export async function webhookControlWorkflow(input: WebhookControlInput): Promise<{ handedOut: number }> {
  let latest = input.latest;
  let handedOutVersion = -1;
  let handedOut = input.handedOut ?? 0;
  setHandler(webhookStatusChangedSignal, (change) => {
    if (!latest || change.version > latest.version) latest = change;
  });
  for (;;) {
    const pending = () => latest !== undefined && latest.version > handedOutVersion;
    if (!(await condition(pending, QUIET_BEFORE_ENDING))) return { handedOut };
    const target = latest as WebhookStatusChange;
    await fanOutWebhookStatus({ webhookId: input.webhookId, ...target });
    handedOutVersion = target.version;
    handedOut++;
    if (workflowInfo().continueAsNewSuggested && !pending()) {
      return continueAsNew<typeof webhookControlWorkflow>({ webhookId: input.webhookId, handedOut });
    }
  }
}
