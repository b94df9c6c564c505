/**
 * What the Web UI shows for a delivery or an event: a static summary and the current details, in words an
 * operator reads at a glance. Built from the event type, the endpoint's host and path (never its query string,
 * credentials or fragment), statuses, counts and times: no secret and no document field ever goes in.
 * Pure and deterministic: workflows call it.
 */
import type { SentFacts } from './fate';

type LastAttempt = Pick<SentFacts, 'delivered' | 'statusCode' | 'errorClass' | 'error'>;

/** `erp.example.com/webhooks`: host and path of an endpoint URL; unparseable input shows as `endpoint`. */
export function endpointTarget(url: string): string {
  const match = /^[a-z]+:\/\/(?:[^@/?#]*@)?([^/?#]+)([^?#]*)/i.exec(url);
  if (!match) return 'endpoint';
  const path = (match[2] ?? '').replace(/\/$/, '');
  return `${match[1] ?? ''}${path}`.slice(0, 120);
}

export function hostOf(target: string): string {
  return target.split('/')[0] ?? target;
}

export function deliverySummary(event: string, target: string): string {
  return `${event} → ${target}`;
}

/** `14:05Z` within a day of `now`, else `11-29 14:05Z`. */
export function shortTime(at: Date, now: Date): string {
  const iso = at.toISOString();
  const time = `${iso.slice(11, 16)}Z`;
  return Math.abs(at.getTime() - now.getTime()) < 24 * 3600 * 1000 ? time : `${iso.slice(5, 10)} ${time}`;
}

/** Why the last attempt failed, briefly: `HTTP 401 from erp.example.com`, `timeout at erp.example.com`. */
export function failureReason(last: LastAttempt | undefined, host: string): string {
  if (!last || last.delivered) return 'no attempt yet';
  if (last.statusCode !== undefined) return `HTTP ${last.statusCode} from ${host}`;
  if (last.errorClass === 'blocked') return (last.error ?? 'blocked').replace(/^blocked:\s*/, '');
  return `${last.errorClass ?? 'connection'} at ${host}`;
}

export interface DetailsInput {
  status: string;
  host: string;
  attempts: number;
  maxAttempts: number;
  last?: LastAttempt;
  /** Why it ended without an attempt of its own (cancelled, webhook deleted). */
  reason?: string;
  nextAttemptAt?: Date;
  pausedSince?: Date;
  /** The endpoint's hold its next attempt waits for. */
  heldBy?: { reason: string; askedSeconds: number };
  /** Since when it waits for its turn at the webhook's gate (rate, concurrency or order). */
  waitingForTurnSince?: Date;
  now: Date;
}

export function deliveryDetails(d: DetailsInput): string {
  const attempt = `attempt ${d.attempts} of ${d.maxAttempts}`;
  if (d.heldBy && (d.status === 'pending' || d.status === 'retrying')) {
    const next = d.nextAttemptAt ? `, next at ${shortTime(d.nextAttemptAt, d.now)}` : '';
    if (!d.heldBy.reason.startsWith('HTTP')) {
      return `waiting: endpoint unreachable (${d.heldBy.reason}), its deliveries wait ${d.heldBy.askedSeconds} s${next}`;
    }
    return `waiting: endpoint asked to retry after ${d.heldBy.askedSeconds} s (${d.heldBy.reason})${next}`;
  }
  if (d.waitingForTurnSince && (d.status === 'pending' || d.status === 'retrying')) {
    return `waiting: its turn at the endpoint's limits (rate, concurrency or order) since ${shortTime(d.waitingForTurnSince, d.now)}`;
  }
  switch (d.status) {
    case 'retrying':
      return `retrying: ${failureReason(d.last, d.host)}, ${attempt}${d.nextAttemptAt ? `, next at ${shortTime(d.nextAttemptAt, d.now)}` : ''}`;
    case 'paused':
      return `paused: webhook inactive${d.pausedSince ? ` since ${shortTime(d.pausedSince, d.now)}` : ''}`;
    case 'succeeded':
      return `succeeded: ${d.last?.delivered ? `HTTP ${d.last.statusCode} from ${d.host}, ` : ''}${attempt}`;
    case 'failed':
      if (d.last && !d.last.delivered && d.last.errorClass === 'blocked') {
        return `blocked: ${failureReason(d.last, d.host)}`;
      }
      return `failed: ${failureReason(d.last, d.host)}, ${attempt}`;
    case 'pending':
      return `pending: first attempt to ${d.host}`;
    case 'cancelled':
      return `cancelled: ${d.reason ?? 'cancelled'}, ${attempt}`;
    default:
      return `${d.status}: ${attempt}`;
  }
}
