/** What activities are given: narrow, injected, replaceable in tests. */
import type { Client } from '@temporalio/client';
import type { SecretBox } from '../crypto/secret-box';
import type { StreaklessWebhooks } from '../operations/delivery-outcomes';
import type { BodyCache } from './body-cache';
import type { RetryPolicy } from '../delivery/retry-policy';
import type { Sender } from '../delivery/sender';
import type { Logger } from '../logger';
import type { DeliveryOutcomes } from '../operations/delivery-outcomes';
import type { Store } from '../store';
import type { RetentionReport } from '../workflows/contracts';

export interface ActivityDeps {
  store: Store;
  sender: Sender;
  /** The sender's deadline (DELIVERY_TIMEOUT_MS): an attempt's claim lasts this long plus a margin. */
  sendTimeoutMs: number;
  /** How long a claim outlasts its send deadline, for the outcome's write (45 s unless a test shortens it). */
  leaseMarginMs?: number;
  secrets: SecretBox;
  logger: Logger;
  retryPolicy: RetryPolicy;
  /** Seconds between attempts for webhooks without a schedule of their own. */
  defaultRetrySchedule: number[];
  /** DELIVERY_PAUSE_RECHECK in seconds: how often a paused delivery re-reads its webhook. */
  pauseRecheckSeconds?: number;
  /** DELIVERY_PAUSE_RECHECK_MAX in seconds: the re-check's interval doubles up to this. */
  pauseRecheckMaxSeconds?: number;
  /** DELIVERY_HISTORY_LIMIT: a delivery's run continues as new past this many history events. */
  historyLimit?: number;
  /** For activities that message or start workflows (the status fan-out, the reconciler). */
  temporal?: Client;
  /** The task queue this worker serves: where the reconciler restarts deliveries. */
  taskQueue?: string;
  /** Metrics and auto-disable hooks, called after an attempt's or a delivery state's conditional write. */
  outcomes?: DeliveryOutcomes;
  now?: () => Date;
  /** How often the store's clock offset is measured again (a minute; tests shorten it). */
  clockRefreshMs?: number;
  /** RETENTION_DAYS and how long a retention day lasts (RETENTION_DAY, in ms; tests shorten it). */
  retention?: { retentionDays: number; dayMs?: number };
  /** Metrics hooks of the purge: records deleted from a collection, and the retention report of a run. */
  purged?: (collection: 'deliveries' | 'attempts' | 'events', count: number) => void;
  retentionReported?: (report: RetentionReport) => void;
  /** Event bodies already read by this worker (they never change). */
  bodies?: BodyCache;
  /** Webhooks this worker knows have no failure streak (its successes skip the look). */
  streaklessWebhooks?: StreaklessWebhooks;
}
