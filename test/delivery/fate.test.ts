/** The delivery state machine (src/delivery/fate.ts): examples, then properties over random message sequences. */
import fc from 'fast-check';
import {
  initialFate,
  isHeld,
  isTerminal,
  step,
  wakeAt,
  type AttemptFacts,
  type Command,
  type Fate,
  type FateEnv,
  type Message,
  type RedeliveryAnswer,
} from '../../src/delivery/fate';
import { DEFAULT_RETRY_POLICY } from '../../src/delivery/retry-policy';

const env = (now: number, schedule = [5, 300]): FateEnv => ({
  now,
  random: () => 0,
  schedule,
  policy: DEFAULT_RETRY_POLICY,
  recheck: { floorMs: 1_000, ceilingMs: 8_000 },
});
const fresh = (now = 0): Fate => initialFate({ now, webhook: { status: 'active', version: 1 } });
const sent = (attempt: number, delivered: boolean, more: Partial<AttemptFacts> = {}): AttemptFacts =>
  ({
    kind: 'sent',
    attempt,
    delivered,
    durationMs: 5,
    timedOut: false,
    retryable: true,
    statusCode: delivered ? 200 : 500,
    ...more,
  }) as AttemptFacts;

/** Feeds messages in order; answers the fate and every command. */
function run(start: Fate, messages: [Message, number][], schedule?: number[]) {
  let fate = start;
  const commands: Command[] = [];
  for (const [m, now] of messages) {
    const next = step(fate, m, env(now, schedule));
    fate = next.fate;
    commands.push(...next.commands);
  }
  return { fate, commands };
}

describe('examples', () => {
  test("an endpoint's hold puts the next attempt off until it ends, with no attempt number or retry step used", () => {
    const start = run(fresh(), [
      [{ type: 'tick' }, 0],
      [{ type: 'attempted', attempt: 1, facts: sent(1, false) }, 10],
    ]);
    expect(start.fate).toMatchObject({ status: 'retrying', attempts: 1, scheduleStep: 1, nextAttemptAt: 5_010 });
    const held = run(start.fate, [
      [{ type: 'tick' }, 5_010],
      [
        {
          type: 'attempted',
          attempt: 2,
          facts: { kind: 'endpoint_held', until: 25_000, reason: 'HTTP 429', askedSeconds: 20 },
        },
        5_020,
      ],
    ]);
    expect(held.fate).toMatchObject({
      status: 'retrying',
      attempts: 1,
      scheduleStep: 1,
      nextAttemptAt: 25_000,
      heldBy: { until: 25_000, reason: 'HTTP 429', askedSeconds: 20 },
      inFlight: undefined,
    });
    expect(held.commands).toEqual([{ type: 'send', attempt: 2, trigger: 'automatic' }, { type: 'record' }]);
    expect(wakeAt(held.fate)).toBe(25_000);
    // When it ends, the same number is tried again, and the hold is forgotten.
    const after = run(held.fate, [[{ type: 'tick' }, 25_000]]);
    expect(after.commands).toEqual([{ type: 'send', attempt: 2, trigger: 'automatic' }]);
    expect(after.fate.heldBy).toBeUndefined();
  });

  test('a hold ends no earlier than it says, and spreads the held ones over a tenth of it (5 s at most)', () => {
    const late = step(
      { ...fresh(), inFlight: { attempt: 1, trigger: 'automatic' } },
      {
        type: 'attempted',
        attempt: 1,
        facts: { kind: 'endpoint_held', until: 100_000, reason: 'HTTP 503', askedSeconds: 100 },
      },
      { ...env(0), random: () => 0.999 },
    );
    expect(late.fate.nextAttemptAt).toBeGreaterThanOrEqual(100_000);
    expect(late.fate.nextAttemptAt).toBeLessThanOrEqual(105_000);
  });

  test('a fresh delivery sends attempt 1 at once; a success settles it', () => {
    const { fate, commands } = run(fresh(), [
      [{ type: 'tick' }, 0],
      [{ type: 'attempted', attempt: 1, facts: sent(1, true) }, 10],
    ]);
    expect(commands).toEqual([{ type: 'send', attempt: 1, trigger: 'automatic' }, { type: 'record' }]);
    expect(fate).toMatchObject({ status: 'succeeded', attempts: 1, inFlight: undefined });
  });

  test("the record's last attempt time is when its answer came back, when the facts say; else when the run learned it", () => {
    const told = run(fresh(), [
      [{ type: 'tick' }, 0],
      [{ type: 'attempted', attempt: 1, facts: sent(1, true, { at: 7 }) }, 10],
    ]);
    expect(told.fate.last?.at).toBe(7);
    const untold = run(fresh(), [
      [{ type: 'tick' }, 0],
      [{ type: 'attempted', attempt: 1, facts: sent(1, true) }, 10],
    ]);
    expect(untold.fate.last?.at).toBe(10);
  });

  test('a failure waits its schedule (429 at least the floor), then the schedule runs out', () => {
    const { fate } = run(fresh(), [
      [{ type: 'tick' }, 0],
      [{ type: 'attempted', attempt: 1, facts: sent(1, false, { statusCode: 429 }) }, 0],
    ]);
    expect(fate).toMatchObject({ status: 'retrying', scheduleStep: 1, nextAttemptAt: 60_000 });
    const later = run(fate, [
      [{ type: 'tick' }, 60_000],
      [{ type: 'attempted', attempt: 2, facts: sent(2, false) }, 60_000],
      [{ type: 'tick' }, 360_000],
      [{ type: 'attempted', attempt: 3, facts: sent(3, false) }, 360_000],
    ]);
    expect(later.fate).toMatchObject({ status: 'failed', attempts: 3, nextAttemptAt: undefined });
  });

  test('a blocked destination is not retried', () => {
    const { fate } = run(fresh(), [
      [{ type: 'tick' }, 0],
      [{ type: 'attempted', attempt: 1, facts: sent(1, false, { retryable: false, errorClass: 'blocked' }) }, 0],
    ]);
    expect(fate.status).toBe('failed');
  });

  test('restarted with the version it was paused at, the attempt reads it inactive and the delivery holds (no loop)', () => {
    const paused = initialFate({ now: 0, status: 'paused', attempts: 1, webhook: { status: 'active', version: 4 } });
    const { fate, commands } = run(paused, [
      [{ type: 'tick' }, 0],
      [{ type: 'attempted', attempt: 2, facts: { kind: 'webhook_inactive', statusVersion: 4 } }, 0],
      [{ type: 'tick' }, 1],
    ]);
    expect(commands.filter((c) => c.type === 'send')).toHaveLength(1);
    expect(fate).toMatchObject({ status: 'paused', attempts: 1, webhook: { status: 'inactive', version: 4 } });
    expect(wakeAt(fate)).toBe(1_000);
  });

  test('a paused delivery re-reads its webhook on a growing interval, up to the ceiling', () => {
    let fate = run(fresh(), [[{ type: 'webhook', status: 'inactive', version: 2, source: 'signal' }, 0]]).fate;
    const reads: number[] = [];
    for (let i = 0; i < 6; i++) {
      const at = wakeAt(fate) as number;
      reads.push(at);
      const ticked = step(fate, { type: 'tick' }, env(at));
      expect(ticked.commands).toContainEqual({ type: 'read_webhook' });
      fate = step(ticked.fate, { type: 'webhook', status: 'inactive', version: 2, source: 'read' }, env(at)).fate;
    }
    expect(reads.map((at, i) => at - (reads[i - 1] ?? 0))).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
  });

  test('a cancel during an attempt that succeeds leaves it succeeded; during one that fails, cancelled', () => {
    const during = (delivered: boolean) =>
      run(fresh(), [
        [{ type: 'tick' }, 0],
        [{ type: 'cancel', reason: 'webhook was deleted' }, 1],
        [{ type: 'attempted', attempt: 1, facts: sent(1, delivered) }, 2],
      ]).fate;
    expect(during(true)).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(during(false)).toMatchObject({ status: 'cancelled', attempts: 1, reason: 'webhook was deleted' });
  });

  test('a cancel asked during an attempt that found the webhook paused applies (nothing is sent after a resume)', () => {
    const { fate, commands } = run(fresh(), [
      [{ type: 'tick' }, 0],
      [{ type: 'cancel', reason: 'cancelled by an operator' }, 1],
      [{ type: 'attempted', attempt: 1, facts: { kind: 'webhook_inactive', statusVersion: 2 } }, 2],
      [{ type: 'webhook', status: 'active', version: 3, source: 'signal' }, 3],
      [{ type: 'tick' }, 10_000],
    ]);
    expect(fate).toMatchObject({ status: 'cancelled', attempts: 0, reason: 'cancelled by an operator' });
    expect(commands.filter((c) => c.type === 'send')).toHaveLength(1);
  });

  test('a manual redelivery of a cancelled delivery takes the next number', () => {
    const cancelled = run(fresh(), [
      [{ type: 'tick' }, 0],
      [{ type: 'cancel', reason: 'cancelled by an operator' }, 1],
      [{ type: 'attempted', attempt: 1, facts: sent(1, false) }, 2],
      [{ type: 'redeliver', requestId: 'r1' }, 3],
    ]);
    expect(cancelled.commands.filter((c) => c.type === 'send')).toEqual([
      { type: 'send', attempt: 1, trigger: 'automatic' },
      { type: 'send', attempt: 2, trigger: 'manual', requestId: 'r1' },
    ]);
  });

  test('the same request asked again gets the same answer; a paused webhook refuses a manual attempt', () => {
    const done = run(fresh(), [
      [{ type: 'tick' }, 0],
      [{ type: 'redeliver', requestId: 'k' }, 0],
      [{ type: 'redeliver', requestId: 'k' }, 0],
      [{ type: 'attempted', attempt: 1, facts: sent(1, false) }, 0],
      [{ type: 'attempted', attempt: 2, facts: sent(2, true) }, 0],
      [{ type: 'redeliver', requestId: 'k' }, 0],
    ]);
    const answers = done.commands.filter((c) => c.type === 'answer');
    expect(answers).toHaveLength(2);
    expect(answers[0]).toEqual(answers[1]);
    expect(done.commands.filter((c) => c.type === 'send')).toHaveLength(2);
    const held = run(fresh(), [
      [{ type: 'webhook', status: 'inactive', version: 2, source: 'signal' }, 0],
      [{ type: 'redeliver', requestId: 'x' }, 0],
    ]);
    expect(held.commands).toContainEqual({ type: 'answer', requestId: 'x', answer: { kind: 'webhook_inactive' } });
    expect(held.commands.some((c) => c.type === 'send')).toBe(false);
  });
});

describe('a gated delivery', () => {
  const gated = (): Fate => initialFate({ now: 0, webhook: { status: 'active', version: 1 }, gated: true });
  const permit = (id: string, more: Partial<Extract<Message, { type: 'permit' }>> = {}): Message => ({
    type: 'permit',
    permitId: id,
    notBefore: 100,
    maxLateMs: 250,
    ...more,
  });
  const ofType = <T extends Command['type']>(cs: Command[], type: T) =>
    cs.filter((c): c is Extract<Command, { type: T }> => c.type === type);

  /** Asked, permitted (unreleased) and sent attempt 1 at once; `failed`: it failed and is due again at 5,200. */
  const firstUnreleased = (failed: boolean): [Message, number][] => [
    [{ type: 'tick' }, 0],
    [{ type: 'gate_asked', ungated: false }, 1],
    [permit('p1', { unreleased: true }), 2],
    ...(failed
      ? ([
          [{ type: 'tick' }, 2],
          [{ type: 'attempted', attempt: 1, facts: sent(1, false) }, 200],
          [{ type: 'tick' }, 5_200],
        ] as [Message, number][])
      : []),
  ];

  test('a counted permit is given back when its attempt ends, and the finished delivery frees its key', () => {
    const r = run(gated(), [
      [{ type: 'tick' }, 0],
      [{ type: 'gate_asked', ungated: false }, 1],
      [permit('p1'), 2],
      [{ type: 'tick' }, 2],
      [{ type: 'attempted', attempt: 1, facts: sent(1, true) }, 200],
    ]);
    expect(ofType(r.commands, 'ask_gate')).toEqual([{ type: 'ask_gate', late: false }]);
    expect(ofType(r.commands, 'release_gate')).toEqual([{ type: 'release_gate', permitId: 'p1', done: true }]);
    expect(r.fate.status).toBe('succeeded');
  });

  test("a rate-only gate's unreleased permit: nothing given back, nothing told at the end; a late one's next ask says so", () => {
    const r = run(gated(), [
      ...firstUnreleased(false),
      [{ type: 'tick' }, 2],
      [{ type: 'attempted', attempt: 1, facts: { kind: 'permit_late' } }, 400],
      [{ type: 'tick' }, 400],
      [permit('p2', { unreleased: true, notBefore: 3000 }), 500],
      [{ type: 'tick' }, 500],
      [{ type: 'attempted', attempt: 1, facts: sent(1, false) }, 3100],
      [{ type: 'tick' }, 8100],
      [permit('p3', { unreleased: true, notBefore: 9000 }), 8200],
      [{ type: 'tick' }, 8200],
      [{ type: 'attempted', attempt: 2, facts: sent(2, true) }, 9100],
    ]);
    expect(ofType(r.commands, 'ask_gate').map((c) => c.late)).toEqual([false, true, false]);
    expect(ofType(r.commands, 'release_gate')).toEqual([]);
    expect(ofType(r.commands, 'send').map((c) => c.permit?.id)).toEqual(['p1', 'p2', 'p3']);
    expect(r.fate).toMatchObject({ status: 'succeeded', attempts: 2, gateDone: true });
  });

  test('settings changed from a rate only to an order: a counted permit, even refused, makes the end free the key', () => {
    // Its last used permit was unreleased; the gate now orders, and its next permit (with a key) comes while
    // the webhook is paused: refused. Cancelled after, it still frees the key.
    const r = run(gated(), [
      ...firstUnreleased(true),
      [{ type: 'webhook', status: 'inactive', version: 2, source: 'signal' }, 5_300],
      [permit('p2'), 5_400],
      [{ type: 'cancel', reason: 'by hand' }, 6_000],
    ]);
    expect(ofType(r.commands, 'release_gate')).toEqual([
      { type: 'release_gate', permitId: 'p2', done: false },
      { type: 'release_gate', done: true },
    ]);
  });

  test('finishing while an ask waits at a rate-only gate withdraws it; a counted permit after the end frees its key', () => {
    const r = run(gated(), [
      ...firstUnreleased(true),
      [{ type: 'cancel', reason: 'by hand' }, 5_300],
      // The gate granted it (settings changed to an order meanwhile) before the withdrawal reached it.
      [permit('p2'), 5_400],
    ]);
    expect(ofType(r.commands, 'ask_gate')).toHaveLength(2);
    expect(ofType(r.commands, 'release_gate')).toEqual([
      { type: 'release_gate', done: true },
      { type: 'release_gate', permitId: 'p2', done: true },
    ]);
    expect(r.fate.status).toBe('cancelled');
  });

  test('an unreleased permit that cannot be used is dropped, not given back', () => {
    const r = run(gated(), [
      ...firstUnreleased(false),
      // A second permit (a re-ask's answer crossing the first) while the first is in use.
      [permit('p2', { unreleased: true }), 3],
      [permit('p3'), 4],
    ]);
    expect(ofType(r.commands, 'send').map((c) => c.permit?.id)).toEqual(['p1']);
    // The counted one goes back; the unreleased one is dropped.
    expect(ofType(r.commands, 'release_gate')).toEqual([{ type: 'release_gate', permitId: 'p3', done: false }]);
  });
});

describe('an erased payload', () => {
  test('ends an open delivery failed (erased) at once, refuses redeliveries and is never re-opened', () => {
    const { fate, commands } = run(fresh(), [
      [{ type: 'tick' }, 0],
      [{ type: 'attempted', attempt: 1, facts: sent(1, false) }, 10],
      [{ type: 'erase' }, 20],
      [{ type: 'redeliver', requestId: 'r' }, 30],
      [{ type: 'recover' }, 40],
      [{ type: 'tick' }, 10_000_000],
    ]);
    expect(fate).toMatchObject({ status: 'failed', reason: 'erased', erased: true, attempts: 1 });
    expect(commands.filter((c) => c.type === 'send')).toEqual([{ type: 'send', attempt: 1, trigger: 'automatic' }]);
    expect(commands).toContainEqual({ type: 'answer', requestId: 'r', answer: { kind: 'payload_erased' } });
  });

  test('during an attempt: a failure ends it failed (erased), a success still wins; a paused one ends too', () => {
    const during = (delivered: boolean) =>
      run(fresh(), [
        [{ type: 'tick' }, 0],
        [{ type: 'erase' }, 5],
        [{ type: 'attempted', attempt: 1, facts: sent(1, delivered) }, 10],
      ]).fate;
    expect(during(false)).toMatchObject({ status: 'failed', reason: 'erased' });
    expect(during(true)).toMatchObject({ status: 'succeeded', erased: true });
    const paused = run(fresh(), [
      [{ type: 'webhook', status: 'inactive', version: 2, source: 'signal' }, 0],
      [{ type: 'tick' }, 0],
      [{ type: 'erase' }, 5],
      [{ type: 'webhook', status: 'active', version: 3, source: 'signal' }, 6],
    ]);
    expect(paused.fate).toMatchObject({ status: 'failed', reason: 'erased' });
    expect(paused.commands.filter((c) => c.type === 'send')).toEqual([]);
  });

  test('an attempt that finds the payload erased (a run from the record) ends it failed, nothing sent', () => {
    const { fate } = run(fresh(), [
      [{ type: 'tick' }, 0],
      [{ type: 'attempted', attempt: 1, facts: { kind: 'payload_erased' } }, 10],
    ]);
    expect(fate).toMatchObject({ status: 'failed', reason: 'erased', attempts: 0 });
  });
});

describe('properties', () => {
  type Step =
    | { kind: 'finish'; delivered: boolean; retryable: boolean; code: number; retryAfter?: number }
    | { kind: 'finish_inactive' }
    | { kind: 'finish_deleted' }
    | { kind: 'finish_held'; holdMs: number }
    | { kind: 'status'; active: boolean; version: number; read: boolean }
    | { kind: 'retry_now' }
    | { kind: 'redeliver'; key: string }
    | { kind: 'recover' }
    | { kind: 'cancel' }
    | { kind: 'erase' }
    | { kind: 'tick'; advance: number };

  const stepArb: fc.Arbitrary<Step> = fc.oneof(
    fc.record({
      kind: fc.constant('finish' as const),
      delivered: fc.boolean(),
      retryable: fc.boolean(),
      code: fc.constantFrom(200, 429, 500, 503),
      retryAfter: fc.option(fc.nat(100), { nil: undefined }),
    }),
    fc.constant({ kind: 'finish_inactive' as const }),
    fc.constant({ kind: 'finish_deleted' as const }),
    fc.record({ kind: fc.constant('finish_held' as const), holdMs: fc.nat(60_000) }),
    fc.record({ kind: fc.constant('status' as const), active: fc.boolean(), version: fc.nat(8), read: fc.boolean() }),
    fc.constant({ kind: 'retry_now' as const }),
    fc.record({ kind: fc.constant('redeliver' as const), key: fc.constantFrom('a', 'b', 'c') }),
    fc.constant({ kind: 'recover' as const }),
    fc.constant({ kind: 'cancel' as const }),
    fc.constant({ kind: 'erase' as const }),
    fc.record({ kind: fc.constant('tick' as const), advance: fc.nat(400_000) }),
  );

  /** The world around the machine: what is in flight, what the store's webhook says, what was sent. */
  function simulate(steps: Step[]) {
    let fate = fresh();
    let now = 0;
    let storeVersion = 1;
    let storeActive = true;
    let flight: Extract<Command, { type: 'send' }> | undefined;
    const sentNumbers: number[] = [];
    const answers = new Map<string, RedeliveryAnswer>();
    const violations: string[] = [];
    let everDelivered = false;
    /** A cancel was asked and no recover came since: no automatic attempt may start. */
    let cancelled = false;
    /** The payload was erased: no attempt of any kind may start, and nothing re-opens the delivery. */
    let erased = false;
    const feed = (m: Message): void => {
      const before = fate;
      const { fate: after, commands } = step(fate, m, env(now));
      for (const c of commands) {
        if (c.type === 'send') {
          if (flight) violations.push('a second attempt while one is in flight');
          if (cancelled && c.trigger === 'automatic') violations.push('an automatic attempt after a cancel');
          if (erased) violations.push('an attempt after the payload was erased');
          if (isHeld(after)) violations.push('sent while the webhook is paused');
          if (c.attempt !== Math.max(before.attempts, ...sentNumbers, 0) + 1)
            violations.push(`attempt ${c.attempt} skips a number`);
          flight = c;
        }
        if (c.type === 'answer' && (c.answer.kind === 'delivered' || c.answer.kind === 'failed')) {
          const earlier = answers.get(c.requestId);
          if (earlier && JSON.stringify(earlier) !== JSON.stringify(c.answer))
            violations.push(`request ${c.requestId} answered twice differently`);
          answers.set(c.requestId, c.answer);
        }
      }
      if (isTerminal(before.status) && after.status !== before.status) {
        const explicit = m.type === 'recover' || (m.type === 'attempted' && before.inFlight?.trigger === 'manual');
        if (!explicit) violations.push(`terminal ${before.status} became ${after.status} by ${m.type}`);
      }
      if (after.last?.delivered) everDelivered = true;
      if (after.status === 'succeeded' && !everDelivered) violations.push('succeeded without a delivered attempt');
      if (after.last?.delivered && after.status !== 'succeeded')
        violations.push(`${after.status} after a delivered attempt`);
      if (after.status === 'failed' && (!after.last || after.last.delivered) && !after.erased)
        violations.push('failed without a failed attempt');
      if (erased && !isTerminal(after.status) && !after.inFlight) violations.push(`${after.status} after an erasure`);
      fate = after;
    };
    feed({ type: 'tick' });
    for (const s of steps) {
      switch (s.kind) {
        case 'finish_held': {
          // The activity holds automatic attempts only (a person's redelivery goes anyway).
          if (flight?.trigger !== 'automatic') break;
          const f = flight;
          flight = undefined;
          const until = now + s.holdMs;
          const facts = { kind: 'endpoint_held', until, reason: 'HTTP 429', askedSeconds: s.holdMs / 1000 } as const;
          feed({ type: 'attempted', attempt: f.attempt, facts });
          break;
        }
        case 'finish':
        case 'finish_inactive':
        case 'finish_deleted': {
          if (!flight) break;
          const f = flight;
          flight = undefined;
          if (s.kind === 'finish' && storeActive) {
            sentNumbers.push(f.attempt);
            const facts = sent(f.attempt, s.delivered, {
              retryable: s.retryable,
              statusCode: s.delivered ? 200 : s.code === 200 ? 500 : s.code,
              retryAfterSeconds: s.retryAfter,
            });
            feed({ type: 'attempted', attempt: f.attempt, facts });
          } else if (s.kind === 'finish_deleted') {
            feed({ type: 'attempted', attempt: f.attempt, facts: { kind: 'webhook_deleted' } });
          } else {
            feed({
              type: 'attempted',
              attempt: f.attempt,
              facts: { kind: 'webhook_inactive', statusVersion: storeVersion },
            });
          }
          break;
        }
        case 'status':
          if (s.read) {
            feed({
              type: 'webhook',
              status: storeActive ? 'active' : 'inactive',
              version: storeVersion,
              source: 'read',
            });
          } else {
            storeVersion += 1;
            storeActive = s.active;
            feed({
              type: 'webhook',
              status: s.active ? 'active' : 'inactive',
              version: storeVersion,
              source: 'signal',
            });
          }
          break;
        case 'retry_now':
          feed({ type: 'retry_now' });
          break;
        case 'redeliver':
          feed({ type: 'redeliver', requestId: s.key });
          break;
        case 'recover':
          if (fate.status === 'failed' || fate.status === 'skipped') cancelled = false; // recover re-opens it
          feed({ type: 'recover' });
          break;
        case 'cancel':
          if (!isTerminal(fate.status)) cancelled = true;
          feed({ type: 'cancel', reason: 'cancelled by an operator' });
          break;
        case 'erase':
          erased = true;
          feed({ type: 'erase' });
          break;
        case 'tick':
          now += s.advance;
          feed({ type: 'tick' });
      }
    }
    return { fate, sentNumbers, violations };
  }

  test('at most one attempt in flight; nothing sent while paused; numbers 1..n without gaps; status follows the facts; terminal only left by an explicit redelivery or recover; one answer per request', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 80 }), (steps) => {
        const { sentNumbers, violations } = simulate(steps);
        expect(violations).toEqual([]);
        expect(sentNumbers).toEqual(sentNumbers.map((_, i) => i + 1));
      }),
      { numRuns: 2_000 },
    );
  });

  test('a webhook status applies by version, whatever order the signals arrive in', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray([1, 2, 3, 4, 5, 6], { minLength: 1 }), (versions) => {
        let fate = fresh();
        for (const v of versions) {
          fate = step(
            fate,
            { type: 'webhook', status: v % 2 ? 'inactive' : 'active', version: 10 + v, source: 'signal' },
            env(0),
          ).fate;
        }
        const newest = Math.max(...versions);
        expect(fate.webhook).toEqual({ status: newest % 2 ? 'inactive' : 'active', version: 10 + newest });
      }),
    );
  });
});
