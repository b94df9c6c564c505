/**
 * Safe upgrades: every history recorded from a released version of the workflows (test/fixtures/histories,
 * recorded by `npm run record-histories`) must replay against the workflow code of this build. A change that
 * alters the commands a workflow issues fails here; guard it with patched() (docs/operations.md, upgrades).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime, Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import {
  closingEvent,
  HISTORIES_DIR,
  historyFromJSON,
  historyToJSON,
  listHistoryFiles,
  loadHistory,
  scenarioOf,
  SCENARIOS,
  searchableText,
  signalNames,
  updateNames,
  workflowType,
  type History,
  type Scenario,
} from '../helpers/history-fixtures';
import { testEnv } from '../helpers/test-env';

const files = listHistoryFiles();
const histories = new Map(files.map((f) => [f, loadHistory(f)]));

function replayOptions(): ReplayWorkerOptions {
  return { workflowBundle: { codePath: testEnv().workflowBundlePath } };
}

const replayed = new Map<string, Error | undefined>();
beforeAll(async () => {
  try {
    // Replay workers log every state change at INFO; keep the output to warnings.
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed in this process
  }
  const inputs = files.map((file) => ({ workflowId: file, history: histories.get(file) as History }));
  for await (const result of Worker.runReplayHistories(replayOptions(), inputs)) {
    replayed.set(result.workflowId, result.error);
  }
});

test.each(files)('%s replays against the current workflow code', (file) => {
  expect(replayed.has(file)).toBe(true);
  const error = replayed.get(file);
  if (error) throw new Error(`${file} no longer replays (${error.name}): ${error.message}`);
});

describe('the fixture set', () => {
  const ofScenario = (scenario: Scenario): History[] =>
    files.filter((f) => scenarioOf(f) === scenario).map((f) => histories.get(f) as History);
  const ofType = (scenario: Scenario, type: string): History[] =>
    ofScenario(scenario).filter((h) => workflowType(h) === type);
  test('covers every scenario, each file named after one, each run closed', () => {
    expect(files.length).toBeGreaterThan(0);
    expect(SCENARIOS.filter((s) => ofScenario(s).length === 0)).toEqual([]);
    expect(files.filter((f) => scenarioOf(f) === undefined)).toEqual([]);
    expect(files.filter((f) => !closingEvent(histories.get(f) as History))).toEqual([]);
  });

  test('each scenario holds what its name says', () => {
    const timersFired = (h: History) => (h.events ?? []).filter((e) => e.timerFiredEventAttributes).length;
    const continued = (h: History) => Boolean(closingEvent(h)?.workflowExecutionContinuedAsNewEventAttributes);

    expect(ofType('success', 'platformEventWorkflow').length).toBeGreaterThan(0);
    expect(ofType('success', 'deliveryWorkflow').length).toBeGreaterThan(0);
    expect(ofType('retries', 'deliveryWorkflow').some((h) => timersFired(h) >= 2)).toBe(true);
    expect(ofType('pause-resume', 'deliveryWorkflow').map((h) => signalNames(h).join(','))).toContain(
      'webhookStatus,webhookStatus',
    );
    expect(ofType('redeliver-running', 'deliveryWorkflow').some((h) => updateNames(h).includes('redeliver'))).toBe(
      true,
    );
    expect(ofType('redeliver-finished', 'deliveryWorkflow').length).toBeGreaterThanOrEqual(2);
    expect(ofType('redeliver-finished', 'deliveryWorkflow').some((h) => updateNames(h).includes('redeliver'))).toBe(
      true,
    );
    expect(ofType('retry-now', 'deliveryWorkflow').some((h) => signalNames(h).includes('retryNow'))).toBe(true);
    expect(ofType('cancel', 'deliveryWorkflow').some((h) => signalNames(h).includes('cancel'))).toBe(true);
    const cancelRequested = (h: History) =>
      (h.events ?? []).some((e) => e.workflowExecutionCancelRequestedEventAttributes);
    expect(ofType('operator-cancel', 'deliveryWorkflow').some(cancelRequested)).toBe(true);
    const activityTasks = (h: History) => (h.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes).length;
    expect(ofType('slow-first-attempt', 'deliveryWorkflow').some((h) => activityTasks(h) === 1)).toBe(true);
    expect(ofType('long-pause', 'deliveryWorkflow').filter(continued).length).toBeGreaterThanOrEqual(2);
    const chain = ofType('continue-as-new', 'platformEventWorkflow');
    expect(chain.filter(continued).length).toBeGreaterThanOrEqual(2);
    expect(chain.some((h) => !continued(h))).toBe(true); // and the run that completed the event
    expect(ofType('recovery', 'recoverWebhookWorkflow').length).toBeGreaterThan(0);
    const held = (h: History) => searchableText(historyToJSON(h)).includes('endpoint_held');
    expect(ofType('endpoint-hold', 'deliveryWorkflow').some((h) => held(h) && timersFired(h) >= 1)).toBe(true);
    const gate = ofType('gated', 'endpointGateWorkflow');
    expect(gate.some((h) => signalNames(h).includes('gateAsk') && signalNames(h).includes('gateRelease'))).toBe(true);
    expect(ofType('gated', 'deliveryWorkflow').filter((h) => signalNames(h).includes('permit')).length).toBe(
      gate.length * 3,
    );
    // A rate-only gate's deliveries give nothing back: no signal from them, none but asks to their gate.
    const signalsOut = (h: History) =>
      (h.events ?? []).filter((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes).length;
    const rateOnly = ofType('rate-only', 'deliveryWorkflow');
    expect(rateOnly.length).toBeGreaterThanOrEqual(3);
    expect(rateOnly.map(signalsOut)).toEqual(rateOnly.map(() => 0));
    expect(ofType('rate-only', 'endpointGateWorkflow').map((h) => [...new Set(signalNames(h))])).toEqual([['gateAsk']]);
  });

  test('one baseline: no run carries a patch marker (a change from here on is guarded, docs/operations.md)', () => {
    // A later release's folder holds the guarded shape (timers-never-cancelled/: runs past that patch).
    for (const file of files.filter((f) => !f.includes('/'))) {
      const patches = (histories.get(file)?.events ?? []).filter(
        (e) => e.markerRecordedEventAttributes?.markerName === 'core_patch',
      );
      expect([file, patches.length]).toEqual([file, 0]);
    }
  });

  test('holds no credential', () => {
    for (const file of files) {
      const text = searchableText(fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8'));
      for (const marker of ['whsec_', 'never_in_history', 'authorization', 'Bearer ', 'Basic ']) {
        if (text.includes(marker)) throw new Error(`${file} contains "${marker}"`);
      }
    }
  });
});

describe('negative control: the replay test can fail', () => {
  /**
   * The JSON history of `file` without its first TimerStarted and the TimerFired/TimerCanceled of that timer,
   * renumbered consistently: as if the workflow had never started that timer.
   */
  function withoutFirstTimer(file: string): unknown {
    type JsonEvent = Record<string, unknown> & { eventId: string };
    const json = JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8')) as { events: JsonEvent[] };
    const attrs = (e: JsonEvent, key: string) => e[key] as Record<string, string> | undefined;
    const started = json.events.find((e) => attrs(e, 'timerStartedEventAttributes'));
    if (!started) throw new Error(`${file} starts no timer`);
    const timerId = attrs(started, 'timerStartedEventAttributes')?.timerId;
    const dropped = new Set(
      json.events
        .filter(
          (e) =>
            e === started ||
            attrs(e, 'timerFiredEventAttributes')?.timerId === timerId ||
            attrs(e, 'timerCanceledEventAttributes')?.timerId === timerId,
        )
        .map((e) => e.eventId),
    );
    const kept = json.events.filter((e) => !dropped.has(e.eventId));
    const renumbered = new Map(kept.map((e, i) => [e.eventId, String(i + 1)]));
    // References to events of this history (parentInitiatedEventId points into the parent's: left alone).
    const references = ['scheduledEventId', 'startedEventId', 'workflowTaskCompletedEventId', 'initiatedEventId'];
    const renumber = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(renumber);
      if (!value || typeof value !== 'object') return value;
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [
          k,
          references.includes(k) && typeof v === 'string' ? (renumbered.get(v) ?? v) : renumber(v),
        ]),
      );
    };
    return {
      events: kept.map((e) => ({ ...(renumber(e) as JsonEvent), eventId: renumbered.get(e.eventId) })),
    };
  }

  // The SDK core logs this replay's failing workflow task as a WARN "Nondeterminism error": expected here.
  test('a delivery history missing one of its timers is a determinism violation', async () => {
    const file = 'retries-delivery.json';
    expect(files).toContain(file);
    const broken = historyFromJSON(withoutFirstTimer(file));
    expect(broken.events?.length).toBe((histories.get(file)?.events?.length ?? 0) - 2);
    await expect(Worker.runReplayHistory(replayOptions(), broken, 'negative-control')).rejects.toBeInstanceOf(
      DeterminismViolationError,
    );
  });
});
