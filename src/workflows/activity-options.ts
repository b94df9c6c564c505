/**
 * Activities fail only on infrastructure (the store unreachable, a worker lost): retry them forever with
 * backoff. Receiver failures never reach this policy: attempts return them as results.
 */
import type { RetryPolicy } from '@temporalio/common';

export const INFRASTRUCTURE_RETRY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
};
