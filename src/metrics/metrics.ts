/**
 * The engine's Prometheus metrics. One registry per process role, built in the composition root and handed
 * down: the worker's (deliveries, attempts, latency, backlog) and the API's (events taken in, requests).
 * Labels are bounded sets only: outcome, event type, result class, status, reason, route pattern. Never a
 * tenant ID, webhook ID, URL or anything a caller chooses.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StoreCommandWatch } from '../store/command-watch';
import type { AttemptErrorClass } from '../store/model';

/** An attempt's result class, the `result_class` label. */
export type AttemptResultClass =
  '2xx' | '3xx' | '4xx' | '5xx' | 'timeout' | 'connect' | 'tls' | 'blocked' | 'interrupted' | 'other';

export function attemptResultClass(outcome: {
  delivered: boolean;
  statusCode?: number;
  errorClass?: AttemptErrorClass;
}): AttemptResultClass {
  if (
    outcome.statusCode !== undefined &&
    (outcome.delivered || outcome.errorClass === 'http_status' || outcome.errorClass === 'redirect')
  ) {
    const hundreds = Math.floor(outcome.statusCode / 100);
    return hundreds >= 2 && hundreds <= 5 ? (`${hundreds}xx` as AttemptResultClass) : 'other';
  }
  switch (outcome.errorClass) {
    case 'timeout':
      return 'timeout';
    case 'connection':
    case 'dns':
      return 'connect';
    case 'tls':
      return 'tls';
    case 'blocked':
      return 'blocked';
    case 'interrupted':
      return 'interrupted';
    default:
      return 'other';
  }
}

export function createWorkerMetrics(registry: Registry = new Registry()) {
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    deliveriesFinished: new Counter({
      name: 'docflo_deliveries_finished_total',
      help: 'Deliveries that reached a final state, by outcome (succeeded, failed, cancelled) and event type',
      labelNames: ['outcome', 'event_type'] as const,
      registers,
    }),
    attempts: new Counter({
      name: 'docflo_delivery_attempts_total',
      help: 'Delivery attempts by result class (2xx, 3xx, 4xx, 5xx, timeout, connect, tls, blocked, interrupted)',
      labelNames: ['result_class'] as const,
      registers,
    }),
    attemptDuration: new Histogram({
      name: 'docflo_delivery_attempt_duration_seconds',
      help: 'Duration of a delivery attempt (connect, request and response), by result class',
      labelNames: ['result_class'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30],
      registers,
    }),
    publishToFirstDelivery: new Histogram({
      name: 'docflo_publish_to_first_delivery_seconds',
      help: "From the event's acceptance to the delivery's first success, by event type",
      labelNames: ['event_type'] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 7200, 21600, 86400, 172800],
      registers,
    }),
    deliveriesOpen: new Gauge({
      name: 'docflo_deliveries_open',
      help: 'Deliveries in the store that are pending, retrying or paused (re-counted every METRICS_REFRESH_INTERVAL; the same in every worker)',
      labelNames: ['status'] as const,
      registers,
    }),
    endpointHolds: new Counter({
      name: 'docflo_endpoint_holds_total',
      help: 'Endpoints held by their own answer (a 429, or a 503 with Retry-After), by that answer',
      labelNames: ['reason'] as const,
      registers,
    }),
    attemptsHeld: new Counter({
      name: 'docflo_delivery_attempts_held_total',
      help: 'Automatic attempts put off, nothing sent, because their endpoint was held',
      registers,
    }),
    webhooksAutoDisabled: new Counter({
      name: 'docflo_webhooks_auto_disabled_total',
      help: 'Webhooks set inactive automatically after failing for WEBHOOK_DISABLE_AFTER',
      registers,
    }),
    purgedRecords: new Counter({
      name: 'docflo_purged_records_total',
      help: 'Records the purge deleted, by collection (deliveries, attempts, events)',
      labelNames: ['collection'] as const,
      registers,
    }),
    oldestRecordAge: new Gauge({
      name: 'docflo_retention_oldest_record_age_seconds',
      help: 'Age of the oldest record of each collection, as of the last purge',
      labelNames: ['collection'] as const,
      registers,
    }),
    purgeLag: new Gauge({
      name: 'docflo_retention_purge_lag_seconds',
      help: 'How far past RETENTION_DAYS the oldest finished delivery was after the last purge (0: on time)',
      registers,
    }),
    retention: new Gauge({
      name: 'docflo_retention_seconds',
      help: 'RETENTION_DAYS in seconds: how long finished deliveries are kept by default',
      registers,
    }),
    operationalEvents: new Counter({
      name: 'docflo_operational_events_published_total',
      help: 'webhook.failing and webhook.disabled events published to subscribed webhooks',
      labelNames: ['event_type'] as const,
      registers,
    }),
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;

export function createApiMetrics(registry: Registry = new Registry()) {
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    eventsAccepted: new Counter({
      name: 'docflo_api_events_accepted_total',
      help: 'Events the API accepted (POST /v1/events answered 202), by event type',
      labelNames: ['event_type'] as const,
      registers,
    }),
    eventsRejected: new Counter({
      name: 'docflo_api_events_rejected_total',
      help: 'Events the API refused, by reason (the error code: validation_failed, document_not_found, event_conflict, unavailable, unauthorized, rate_limited, ...)',
      labelNames: ['reason'] as const,
      registers,
    }),
    requestDuration: new Histogram({
      name: 'docflo_api_request_duration_seconds',
      help: 'API request duration by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;

/** Whether store calls answer in time, read from the process's StoreCommandWatch at each scrape. */
export function registerStoreCommandMetrics(registry: Registry, watch: StoreCommandWatch): void {
  const registers = [registry];
  new Gauge({
    name: 'docflo_store_commands_stalled',
    help: 'Store commands waiting for an answer longer than MONGODB_TIMEOUT_MS right now',
    registers,
    collect() {
      this.set(watch.snapshot().stalled);
    },
  });
  new Counter({
    name: 'docflo_store_commands_timed_out_total',
    help: 'Store commands that waited longer than MONGODB_TIMEOUT_MS or failed by running out of time',
    registers,
    collect() {
      this.reset();
      this.inc(watch.snapshot().timedOutTotal);
    },
  });
}
