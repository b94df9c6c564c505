/**
 * A webhook's gate as one pure state machine: which delivery may make its next automatic attempt, and when.
 * `stepGate(state, message, env)` → the next state and the commands the gate workflow carries out (grant a
 * permit by signal, check an ordered delivery's predecessors in the store). No I/O, no clock of its own.
 *
 * - **Rate** (`rateLimit`): permits are spaced by GCRA (a token bucket kept as one time) at 90 % of
 *   `perSecond` (RATE_HEADROOM) and `burst` at once. A permit names the instant its POST may go (`notBefore`); it is
 *   granted up to `leadMs` before it, so the delivery has time to start its attempt, which waits in memory for
 *   the instant and gives the permit back unused if it is late (src/activities/send-attempt.ts).
 * - **Concurrency** (`maxInFlight`): a permit is held until the attempt ends or its lease runs out.
 * - **Order** (`ordering`): a delivery takes its key (its document, or the whole webhook) with its first
 *   permit and keeps it, through its retries, until it has finished for good; the next of the key waits. A
 *   free key goes to the earliest published delivery of the key that asks, once the store has shown no earlier
 *   one is still open and every earlier event was dispatched (a later event's delivery can ask first).
 */
import type { FlowSettings } from '../store/model';

/** A delivery asking for its next attempt's permit; `order` is its event's publish time and ID. */
export interface GateAsk {
  delivery: string;
  documentId: string;
  order: [number, string];
  askedAt: number;
}

export interface Permit {
  id: string;
  delivery: string;
  /** ms: when the POST may go (never earlier); a later start gives it back unused. */
  notBefore: number;
  /** ms: how late after notBefore its POST may still start (rate-limited permits only; see paceOf). */
  maxLateMs?: number;
  /** ms: past this the permit no longer counts against maxInFlight (its delivery stopped answering). */
  leaseUntil: number;
  /**
   * Granted by a gate with a rate and nothing else (no maxInFlight, no ordering): nothing needs it back, so its
   * delivery gives nothing back. It lapses soon after its instant (counted used in time, unless its delivery's
   * next ask says it was late), saving a signal each way per delivery.
   */
  unreleased?: boolean;
}

/** What the store said of an ordered delivery's predecessors. */
export interface PredecessorCheck {
  /** Deliveries of the same key, published earlier, still open (workflow IDs). */
  open: string[];
  /** An earlier event of the same key is not yet dispatched (its deliveries may not exist yet). */
  undispatched: boolean;
}

export interface GateState {
  settings: FlowSettings;
  /** Settings version (the webhook's updatedAt, ms): newer settings replace older ones. */
  version: number;
  waiting: GateAsk[];
  permits: Permit[];
  /** Ordering keys and the delivery holding each. */
  locks: Record<string, string>;
  /** ms: the GCRA's theoretical arrival time. */
  tat: number;
  /** Ordered deliveries the store has cleared to take a free key (nothing earlier can come). */
  cleared: string[];
  /** The deliveries of the predecessor check under way (one batch at a time), and when a failed one may be asked again. */
  checking?: string[];
  recheckAt?: Record<string, number>;
  /** ms: when the rate lets the next waiting ask have its permit (set only while one waits for it). */
  rateWakeAt?: number;
  /** Permits granted so far: the next permit's ID. */
  granted: number;
  /**
   * The share of the rate limit the gate spaces permits for (1 when absent). When the limit is far above what the
   * workers can send, permits at its full spacing would all be reached late, given back and asked for again, all
   * together, for ever: pacing down lets them arrive in time. Judged every PACE_WINDOW permits that came back: more
   * than half late (the delivery asked again while holding it) halves the pace; fewer than a tenth raises it by half.
   */
  pace?: number;
  /** Permits come back since the pace was last judged: late, and used in time. */
  paceCounts?: { late: number; onTime: number };
  /** The limit (perSecond) the pace was started for: a new or changed limit starts again from the floor. */
  paceFor?: number;
  /** The rate held an ask back since the pace was last judged: only then may the pace rise. */
  paceHeld?: boolean;
  /** A faster pace (1 when absent), in force from `at` (ms): see raisePace. */
  paceRaise?: { at: number; pace?: number };
}

export type GateMessage =
  | { type: 'tick' }
  /** `late`: the delivery's permit before was reached late (undefined from deliveries before that was said). */
  | { type: 'ask'; ask: GateAsk; settings: FlowSettings; version: number; late?: boolean }
  /** An attempt ended (permit given back), or the delivery finished for good (`done`: its key is free). */
  | { type: 'release'; delivery: string; permitId?: string; done: boolean }
  | { type: 'settings'; settings: FlowSettings; version: number }
  | { type: 'checked'; results: { delivery: string; check: PredecessorCheck }[] };

export type GateCommand =
  | { type: 'grant'; permit: Permit }
  /** Ask the store about these deliveries' predecessors, in one read of each collection. */
  | { type: 'check'; asks: Pick<GateAsk, 'delivery' | 'documentId' | 'order'>[] };

export interface GateEnv {
  now: number;
  /** How long before its instant a permit is handed out (at most). */
  leadMs: number;
  /**
   * With a backlog the gate wakes once this much of the rate has come into the lead, and hands it out together:
   * one workflow task per batch, not per permit. A wake later than leadMs - rateBatchMs - minAheadMs loses slots.
   */
  rateBatchMs: number;
  /**
   * A rate-limited permit's instant is at least this far off when it is handed out: time for the signal, the
   * delivery's timer and its attempt to get there. An instant of "now" would always be missed by that much,
   * and a missed instant is a permit given back: at a high rate, every permit.
   */
  minAheadMs: number;
  /** How long a permit counts against maxInFlight after its instant, if never given back. */
  leaseMs: number;
  /** How long after a check that found open predecessors outside the gate it is made again. */
  recheckMs: number;
  /**
   * Slow start (gates from the `gate-slow-start` patch on): a limit starts paced at its floor and the pace rises
   * only while the rate holds asks back. Without it a limit starts at its full spacing, and any round of permits
   * used in time raises the pace.
   */
  slowStart?: boolean;
  /** A rate-only gate's permits are unreleased (gates from the `gate-rate-permits-unreleased` patch on). */
  unreleasedRatePermits?: boolean;
}

export const NO_FLOW: FlowSettings = { ordering: 'none' };

export function initialGate(): GateState {
  return { settings: NO_FLOW, version: -1, waiting: [], permits: [], locks: {}, tat: 0, cleared: [], granted: 0 };
}

/** Nothing asked, held or locked: the gate may end (the next ask starts it again). */
export function isIdle(s: GateState): boolean {
  return s.waiting.length === 0 && s.permits.length === 0 && Object.keys(s.locks).length === 0 && !s.checking?.length;
}

/** The ordering key a delivery's document maps to under these settings (undefined: no order kept). */
export function orderKey(settings: FlowSettings, documentId: string): string | undefined {
  if (settings.ordering === 'webhook') return '*';
  if (settings.ordering === 'document') return `doc:${documentId}`;
  return undefined;
}

export function stepGate(
  state: GateState,
  m: GateMessage,
  env: GateEnv,
): { state: GateState; commands: GateCommand[] } {
  const s: GateState = {
    ...state,
    waiting: [...state.waiting],
    permits: state.permits.filter((p) => p.leaseUntil > env.now),
    locks: { ...state.locks },
    cleared: [...state.cleared],
    recheckAt: { ...(state.recheckAt ?? {}) },
  };
  const commands: GateCommand[] = [];
  // An unreleased permit that lapsed without its delivery saying it was late was used in time.
  for (const p of state.permits) if (p.unreleased && p.leaseUntil <= env.now) judgePace(s, 'onTime', env);
  apply(s, m, env);
  grant(s, env, commands);
  // A re-check that came due was made (or its ask is no longer the first of its key, and will be checked
  // when it is): only future ones wake the gate.
  const waiting = new Set(s.waiting.map((a) => a.delivery));
  s.recheckAt = Object.fromEntries(
    Object.entries(s.recheckAt ?? {}).filter(([d, at]) => at > env.now && waiting.has(d)),
  );
  return { state: s, commands };
}

function apply(s: GateState, m: GateMessage, env: GateEnv): void {
  switch (m.type) {
    case 'tick':
      return;
    case 'settings':
      adopt(s, m.settings, m.version);
      return;
    case 'ask': {
      adopt(s, m.settings, m.version);
      // The same delivery asking again (a lost permit, a re-ask after a timeout) replaces its ask; a permit it
      // still holds is given back: a delivery asks only when it holds none.
      s.waiting = s.waiting.filter((a) => a.delivery !== m.ask.delivery);
      const held = s.permits.filter((p) => p.delivery === m.ask.delivery && p.maxLateMs !== undefined);
      // An ask says whether the permit before was late; one that says nothing (an earlier release) holding a
      // permit was late. An unreleased permit its delivery asks past, in time, was used.
      const late = env.unreleasedRatePermits && m.late !== undefined ? m.late : held.length > 0;
      if (late) judgePace(s, 'late', env);
      else if (held.some((p) => p.unreleased)) judgePace(s, 'onTime', env);
      s.permits = s.permits.filter((p) => p.delivery !== m.ask.delivery);
      s.waiting.push(m.ask);
      return;
    }
    case 'release':
      if (m.permitId && s.permits.some((p) => p.id === m.permitId && p.maxLateMs !== undefined)) {
        judgePace(s, 'onTime', env);
      }
      s.permits = s.permits.filter((p) => (m.permitId ? p.id !== m.permitId : p.delivery !== m.delivery));
      if (!m.done) return;
      s.waiting = s.waiting.filter((a) => a.delivery !== m.delivery);
      for (const [key, holder] of Object.entries(s.locks)) if (holder === m.delivery) delete s.locks[key];
      s.cleared = s.cleared.filter((d) => d !== m.delivery);
      return;
    case 'checked':
      s.checking = undefined;
      for (const { delivery, check } of m.results) {
        if (check.open.length === 0 && !check.undispatched) s.cleared.push(delivery);
        // Something earlier is still to come (or to finish outside the gate): ask the store again later.
        else s.recheckAt = { ...s.recheckAt, [delivery]: env.now + env.recheckMs };
      }
      return;
  }
}

function adopt(s: GateState, settings: FlowSettings, version: number): void {
  if (version < s.version) return;
  s.settings = settings;
  s.version = version;
}

/**
 * Rate spacing (ms between permits) at the gate's pace, how far ahead of the bucket a burst may go, and how late a
 * POST may start: any second then still holds at most perSecond + burst (lateToleranceMs at full pace; more room
 * when paced down).
 */
function spacing(
  s: GateState,
  pace: number | undefined,
): { intervalMs: number; toleranceMs: number; maxLateMs: number } | undefined {
  const rate = s.settings.rateLimit;
  if (!rate) return undefined;
  const intervalMs = 1000 / (rate.perSecond * RATE_HEADROOM * (pace ?? 1));
  return {
    intervalMs,
    toleranceMs: (Math.max(1, rate.burst) - 1) * intervalMs,
    // Paced down, permits are spaced wider and a POST may be that much later: at 1/64 of the limit, seconds (a
    // congested worker reaches its instants seconds late; refusing them all would keep it congested).
    maxLateMs: Math.min(
      pace === undefined ? MAX_LATE_MS : MAX_PACED_LATE_MS,
      ((rate.perSecond + 1) * intervalMs - 1000) / 2,
    ),
  };
}

/** While a faster pace waits to go into force, how late a permit for `notBefore` may be (see raisePace). */
function latenessCap(s: GateState, notBefore: number, maxLateMs: number): number {
  if (!s.paceRaise) return maxLateMs;
  const faster = spacing(s, s.paceRaise.pace)?.maxLateMs ?? 0;
  return Math.min(maxLateMs, Math.max(faster, s.paceRaise.at - notBefore));
}

/**
 * How many rate-limited permits come back between two judgements of the pace, and its floor: a 64th of the limit,
 * and never below PACE_FLOOR_PER_SECOND (a limit of 10/s or less is never paced down). Lateness on a worker busy
 * with everything else is not the gate's spacing: pacing a 10/s limit down to a fraction of a permit a second
 * only starves it (the 600-at-10/s test beside the whole suite: 51 arrived in 5 minutes).
 */
export const PACE_WINDOW = 20;
export const MIN_PACE = 1 / 64;
export const PACE_FLOOR_PER_SECOND = 10;
const MAX_LATE_MS = 250;
const MAX_PACED_LATE_MS = 10_000;

function judgePace(s: GateState, outcome: 'late' | 'onTime', env: GateEnv): void {
  const counts = { late: 0, onTime: 0, ...s.paceCounts };
  counts[outcome]++;
  if (counts.late + counts.onTime < PACE_WINDOW) {
    s.paceCounts = counts;
    return;
  }
  s.paceCounts = undefined;
  const held = !env.slowStart || s.paceHeld === true;
  s.paceHeld = undefined;
  const pace = s.pace ?? 1;
  const floor = paceFloor(s.settings.rateLimit?.perSecond ?? 1);
  if (counts.late * 2 > PACE_WINDOW) {
    s.pace = floor >= 1 ? undefined : Math.max(floor, pace / 2);
    s.paceRaise = undefined;
  }
  // Faster only where the pace is what holds deliveries back: a limit that binds no one keeps its wide spacing,
  // and with it its room to be late (at full spacing a limit far above what is sent has 250 ms of it).
  else if (counts.late * 10 < PACE_WINDOW && held) {
    // Slow start doubles (its ramp waits for permits to lapse, and for the slower ones to be past their last moment).
    const factor = env.slowStart ? 2 : 1.5;
    const faster = pace * factor >= 1 ? undefined : pace * factor;
    if (env.slowStart) raisePace(s, faster, env.now);
    else s.pace = faster;
  }
}

/**
 * A faster pace goes into force only once every permit out is past its last moment (its instant plus its room to
 * be late): a permit of the slower pace may start its POST seconds late, and next to the faster pace's permits
 * that second could hold more than perSecond + burst. Until then permits keep the slower spacing, with no more
 * room than reaches that moment or the faster pace's own (grant, latenessCap).
 */
function raisePace(s: GateState, faster: number | undefined, now: number): void {
  if (s.paceRaise) return;
  const last = s.permits.reduce((m, p) => Math.max(m, p.notBefore + (p.maxLateMs ?? 0)), now);
  if (last <= now) s.pace = faster;
  else s.paceRaise = { at: last, ...(faster === undefined ? {} : { pace: faster }) };
}

/** The lowest pace of a limit: a 64th of it, never below PACE_FLOOR_PER_SECOND (1: never paced down). */
function paceFloor(perSecond: number): number {
  return Math.max(MIN_PACE, Math.min(1, PACE_FLOOR_PER_SECOND / perSecond));
}

/**
 * Slow start: a new (or changed) limit is first paced at its floor, so the first permits of a limit far above what
 * the workers can send are not handed out all at once and reached late together; the pace rises by half with each
 * round of permits used in time while the rate holds asks back, up to the limit (10/s to 1000/s in 12 rounds).
 */
function startPace(s: GateState): void {
  const rate = s.settings.rateLimit;
  if (!rate || s.paceFor === rate.perSecond) return;
  s.paceFor = rate.perSecond;
  const floor = paceFloor(rate.perSecond);
  s.pace = floor >= 1 ? undefined : floor;
  s.paceCounts = undefined;
  s.paceHeld = undefined;
  s.paceRaise = undefined;
}

/**
 * Permits are spaced for this share of the rate: the rest is room for a POST that leaves a little after its
 * instant (a busy event loop, a TLS handshake) without a second at the receiver ever holding more than
 * perSecond + burst.
 */
export const RATE_HEADROOM = 0.9;

/**
 * How late after its instant a permit's POST may still start. With permits spaced T = 1/(0.9·perSecond), any
 * second holds at most perSecond + burst of POSTs that each left within δ = (perSecond + 1)·T − 1 s of their
 * instants: half of δ is given to the start, half left to the network (250 ms at most).
 */
export function lateToleranceMs(rate: { perSecond: number }): number {
  const spacingMs = 1000 / (rate.perSecond * RATE_HEADROOM);
  return Math.min(MAX_LATE_MS, ((rate.perSecond + 1) * spacingMs - 1000) / 2);
}

/** Hands out every permit the settings allow now, in publish order; asks the store where order needs it. */
function grant(s: GateState, env: GateEnv, out: GateCommand[]): void {
  const byOrder = [...s.waiting].sort((a, b) => a.order[0] - b.order[0] || a.order[1].localeCompare(b.order[1]));
  const blockedKeys = new Set<string>();
  if (env.slowStart) startPace(s);
  if (s.paceRaise && s.paceRaise.at <= env.now) {
    s.pace = s.paceRaise.pace;
    s.paceRaise = undefined;
  }
  const rate = spacing(s, s.pace);
  s.rateWakeAt = undefined;
  const toCheck: GateAsk[] = [];
  for (const ask of byOrder) {
    const key = orderKey(s.settings, ask.documentId);
    // The key's holder goes whatever waits before it in order: they wait for it, never it for them.
    if (key !== undefined && s.locks[key] !== ask.delivery) {
      const holder = s.locks[key];
      if (blockedKeys.has(key) || holder !== undefined) {
        blockedKeys.add(key);
        continue;
      }
      if (holder === undefined && !s.cleared.includes(ask.delivery)) {
        blockedKeys.add(key);
        const again = s.recheckAt?.[ask.delivery];
        if (again === undefined || again <= env.now) toCheck.push(ask);
        continue;
      }
    }
    if (s.settings.maxInFlight !== undefined && s.permits.length >= s.settings.maxInFlight) break;
    let notBefore = env.now;
    if (rate) {
      notBefore = Math.max(env.now + env.minAheadMs, s.tat - rate.toleranceMs);
      if (notBefore > env.now + env.leadMs) {
        s.rateWakeAt = notBefore - env.leadMs + env.rateBatchMs;
        if (env.slowStart) s.paceHeld = true;
        break;
      }
      s.tat = Math.max(s.tat, notBefore) + rate.intervalMs;
    }
    // A key still held from when the webhook was ordered is freed only by its holder's `done`: counted permits.
    const unreleased =
      rate !== undefined &&
      env.unreleasedRatePermits === true &&
      isRateOnly(s.settings) &&
      !Object.values(s.locks).includes(ask.delivery);
    const maxLateMs = rate ? latenessCap(s, notBefore, rate.maxLateMs) : 0;
    const permit: Permit = {
      id: `p${++s.granted}`,
      delivery: ask.delivery,
      notBefore,
      leaseUntil: notBefore + (unreleased && rate ? maxLateMs + UNRELEASED_SLACK_MS : env.leaseMs),
      ...(rate ? { maxLateMs } : {}),
      ...(unreleased ? { unreleased: true } : {}),
    };
    s.permits.push(permit);
    s.waiting = s.waiting.filter((a) => a !== ask);
    if (key !== undefined) s.locks[key] = ask.delivery;
    out.push({ type: 'grant', permit });
  }
  askStore(s, toCheck, out);
}

/**
 * The first waiting delivery of each free key, checked in one batch (up to CHECK_BATCH), one batch at a time;
 * a failed one is checked again only after recheckMs.
 */
function askStore(s: GateState, asks: GateAsk[], out: GateCommand[]): void {
  if (s.checking?.length || asks.length === 0) return;
  const batch = asks.slice(0, CHECK_BATCH);
  s.checking = batch.map((a) => a.delivery);
  const recheckAt = { ...(s.recheckAt ?? {}) };
  for (const a of batch) delete recheckAt[a.delivery];
  s.recheckAt = recheckAt;
  out.push({ type: 'check', asks: batch.map(({ delivery, documentId, order }) => ({ delivery, documentId, order })) });
}

/** How long after its POST's last moment an unreleased permit still counts (a late ask on its way). */
export const UNRELEASED_SLACK_MS = 5_000;

function isRateOnly(settings: FlowSettings): boolean {
  return settings.rateLimit !== undefined && settings.maxInFlight === undefined && settings.ordering === 'none';
}

/** Deliveries whose predecessors one store read covers. */
export const CHECK_BATCH = 200;

/** When the gate must wake with a tick if no message comes first. */
export function gateWakeAt(s: GateState): number | undefined {
  // Unreleased permits lapse together with the last of them (one wake, not one per permit): nothing waits on
  // them but the gate's end and the pace's count. Loops, not spread arguments: a busy gate holds many permits.
  let wake = Infinity;
  let lastUnreleased = -Infinity;
  for (const p of s.permits) {
    if (p.unreleased) lastUnreleased = Math.max(lastUnreleased, p.leaseUntil);
    else wake = Math.min(wake, p.leaseUntil);
  }
  for (const at of Object.values(s.recheckAt ?? {})) wake = Math.min(wake, at);
  wake = Math.min(wake, lastUnreleased === -Infinity ? Infinity : lastUnreleased, s.rateWakeAt ?? Infinity);
  return wake === Infinity ? undefined : wake;
}
