/**
 * endpointGateWorkflow (`gate:<webhookId>`): the one place a webhook's flow settings are applied. Deliveries
 * ask it by signal (signal-with-start, so it runs only while someone needs it) and get a permit by signal; the
 * pure state machine (src/delivery/gate.ts) decides, this loop carries out its commands. It ends after a quiet
 * minute and continues as new, carrying its state, before its history grows long.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  sleep,
  getExternalWorkflowHandle,
  patched,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  gateWakeAt,
  initialGate,
  isIdle,
  stepGate,
  type GateCommand,
  type GateEnv,
  type GateMessage,
  type GateState,
  type Permit,
} from '../delivery/gate';
import { INFRASTRUCTURE_RETRY } from './activity-options';
import type { GateActivities } from './contracts';
import {
  gateAskSignal,
  gateReleaseSignal,
  gateSettingsSignal,
  gateStateQuery,
  permitSignal,
  type PermitMessage,
} from './gate-messages';

export interface EndpointGateInput {
  webhookId: string;
  tenantId: string;
  resume?: GateState;
  /** Tests only: continue as new past this many history events. */
  historyLimit?: number;
}

const { checkOrderPredecessors } = proxyLocalActivities<GateActivities>({
  startToCloseTimeout: '30 seconds',
  retry: INFRASTRUCTURE_RETRY,
});

/**
 * How long before its instant a permit is sent (at most): time for the delivery to start its attempt under load.
 * Its attempt waits out the rest on the paced task queue. With RATE_BATCH_MS and MIN_AHEAD_MS it leaves a gate
 * whose wake comes up to 2 s late (its workflow task queued behind other workflows') without losing a slot.
 */
const LEAD_MS = 5_000;
/** With a backlog, the gate hands out a second of the rate per wake (gate.ts, rateBatchMs). */
const RATE_BATCH_MS = 1_000;
/** A permit never given back stops counting after this (an attempt's send deadline and its record, with room). */
const LEASE_MS = 3 * 60_000;
const RECHECK_MS = 2_000;
/**
 * A rate-limited permit's instant is at least this far off: the signal, the delivery's workflow task, its attempt
 * starting on the paced queue and its claim (made at once: src/activities/send-attempt.ts) fit before it.
 */
const MIN_AHEAD_MS = 2_000;
const IDLE_MS = 60_000;
const HISTORY_LIMIT = 5_000;

/** Patch ID: gates from this release on pace a new limit from its floor (src/delivery/gate.ts, startPace). */
const SLOW_START = 'gate-slow-start';
/** Patch ID: gates from this release on hand out a rate-only gate's permits unreleased (src/delivery/gate.ts). */
const UNRELEASED = 'gate-rate-permits-unreleased';

export async function endpointGateWorkflow(input: EndpointGateInput): Promise<void> {
  const slowStart = patched(SLOW_START);
  const unreleased = patched(UNRELEASED);
  let state = input.resume ?? initialGate();
  const inbox: GateMessage[] = [];
  setHandler(gateAskSignal, (m) => void inbox.push({ type: 'ask', ...m }));
  setHandler(gateReleaseSignal, (m) => void inbox.push({ type: 'release', ...m }));
  setHandler(gateSettingsSignal, (m) => void inbox.push({ type: 'settings', ...m }));
  setHandler(gateStateQuery, () => state);
  /** Permits being signalled and predecessor checks under way: the run continues as new only without them. */
  let pending = 0;
  let idleSince = Date.now();
  /** When the timers already started fire (ms). */
  const timers: number[] = [];

  const execute = (c: GateCommand): void => {
    if (c.type === 'grant') {
      pending++;
      // A delivery that has ended (or never was) cannot take it: its permit and its key go back.
      getExternalWorkflowHandle(c.permit.delivery)
        .signal(permitSignal, permitMessage(c.permit, isUngated(state)))
        .catch(() => inbox.push({ type: 'release', delivery: c.permit.delivery, done: true }))
        .finally(() => pending--);
      return;
    }
    pending++;
    const byDocument = state.settings.ordering === 'document';
    checkOrderPredecessors({
      webhookId: input.webhookId,
      tenantId: input.tenantId,
      asks: c.asks.map((a) => ({ ...a, documentId: byDocument ? a.documentId : undefined })),
    })
      .then(
        (results) => inbox.push({ type: 'checked', results }),
        // Not answered: each is asked again after the re-check interval, as if something earlier were open.
        () =>
          inbox.push({
            type: 'checked',
            results: c.asks.map((a) => ({ delivery: a.delivery, check: { open: [], undispatched: true } })),
          }),
      )
      .finally(() => pending--);
  };

  for (;;) {
    for (let m = inbox.shift(); m; m = inbox.shift()) {
      const { state: next, commands } = stepGate(state, m, gateEnv(slowStart, unreleased));
      state = next;
      commands.forEach(execute);
    }
    showDetails(state);
    if (!isIdle(state)) idleSince = Date.now();
    const quiet = inbox.length === 0 && pending === 0 && allHandlersFinished();
    if (quiet && isIdle(state) && Date.now() - idleSince >= IDLE_MS) return;
    const info = workflowInfo();
    if (quiet && (info.continueAsNewSuggested || info.historyLength >= (input.historyLimit ?? HISTORY_LIMIT))) {
      await continueAsNew<typeof endpointGateWorkflow>({ ...input, resume: state });
    }
    const wake = gateWakeAt(state) ?? (isIdle(state) ? idleSince + IDLE_MS : undefined);
    if (wake !== undefined) wakeBy(Math.max(wake, Date.now() + 1));
    await condition(() => inbox.length > 0);
  }

  /**
   * A timer that fires a tick at `at`, unless one already fires by then. Timers are never cancelled: a gate
   * under a storm of signals would otherwise start and cancel one per batch, and a timer that fires while its
   * cancel is in flight (buffered behind a workflow task the server force-closed) trips the SDK's replay.
   */
  function wakeBy(at: number): void {
    if (timers.some((t) => t <= at)) return;
    timers.push(at);
    void sleep(at - Date.now()).then(() => {
      timers.splice(timers.indexOf(at), 1);
      inbox.push({ type: 'tick' });
    });
  }
}

function gateEnv(slowStart: boolean, unreleasedRatePermits: boolean): GateEnv {
  return {
    slowStart,
    unreleasedRatePermits,
    now: Date.now(),
    leadMs: LEAD_MS,
    rateBatchMs: RATE_BATCH_MS,
    minAheadMs: MIN_AHEAD_MS,
    leaseMs: LEASE_MS,
    recheckMs: RECHECK_MS,
  };
}

function permitMessage(permit: Permit, ungated: boolean): PermitMessage {
  const message: PermitMessage = { permitId: permit.id, notBefore: permit.notBefore };
  if (permit.maxLateMs !== undefined) message.maxLateMs = permit.maxLateMs;
  if (permit.unreleased) message.unreleased = true;
  if (ungated) message.ungated = true;
  return message;
}

function isUngated(s: GateState): boolean {
  return !s.settings.rateLimit && s.settings.maxInFlight === undefined && s.settings.ordering === 'none';
}

function showDetails(s: GateState): void {
  const limits = [
    s.settings.rateLimit ? `${s.settings.rateLimit.perSecond}/s (burst ${s.settings.rateLimit.burst})` : undefined,
    s.settings.maxInFlight !== undefined ? `${s.settings.maxInFlight} in flight` : undefined,
    s.settings.ordering !== 'none' ? `ordered by ${s.settings.ordering}` : undefined,
  ].filter(Boolean);
  setCurrentDetails(
    `${limits.join(', ') || 'no limits'} · ${s.waiting.length} waiting, ${s.permits.length} in flight, ` +
      `${Object.keys(s.locks).length} keys held`,
  );
}
