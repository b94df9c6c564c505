/**
 * Recorded workflow histories under test/fixtures/histories: one JSON file per workflow run, in the SDK's JSON
 * form (historyToJSON / historyFromJSON, the same form `temporal workflow show --output json` writes). Recorded
 * by `npm run record-histories` (test/fixtures/record-histories.ts), replayed by test/workflows/replay.test.ts.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { History } from '@temporalio/common/lib/proto-utils';

export type { History };
export type HistoryEvent = NonNullable<History['events']>[number];

/*
 * The SDK's historyToJSON / historyFromJSON (@temporalio/common/lib/proto-utils) run the protojson extension of
 * @temporalio/common's own copy of protobufjs on message types built by @temporalio/proto's copy. In this
 * dependency tree those are two separate installs of protobufjs 8 (a protobufjs 7 for @grpc/proto-loader holds
 * the top-level slot), so both functions throw "type must be a Type". This is the same conversion with the
 * protojson of the copy the types come from, resolved exactly as the SDK resolves @temporalio/proto; the JSON
 * is the same canonical form (it loads with historyFromJSON wherever that works).
 */
interface ReflectedType {
  readonly fullName: string;
}
interface ProtoJson {
  toJson(type: ReflectedType, message: object): unknown;
  fromJson(type: ReflectedType, json: unknown, options?: { ignoreUnknownFields?: boolean }): object | null;
}
const sdkRequire = createRequire(require.resolve('@temporalio/common/lib/proto-utils'));
const protoRequire = createRequire(sdkRequire.resolve('@temporalio/proto'));
const protojson = protoRequire('protobufjs/ext/protojson') as ProtoJson;
const { patchProtobufRoot } = sdkRequire('@temporalio/proto/lib/patch-protobuf-root') as {
  patchProtobufRoot<T>(root: T): T;
};
const historyType = patchProtobufRoot(
  sdkRequire('@temporalio/proto') as { lookupType(name: string): ReflectedType },
).lookupType('temporal.api.history.v1.History');

/** A history (as fetchHistory returns it) as proto JSON text, the form `temporal workflow show -o json` writes. */
export function historyToJSON(history: History): string {
  return JSON.stringify(protojson.toJson(historyType, history), null, 2);
}

/** Parses a proto JSON history (as written by historyToJSON) back to the object replay takes. */
export function historyFromJSON(json: unknown): History {
  const loaded = protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History | null;
  if (!loaded || !Array.isArray(loaded.events)) throw new TypeError('not a history');
  return loaded;
}

export const HISTORIES_DIR = path.resolve(__dirname, '..', 'fixtures', 'histories');

/**
 * Every scenario the fixture set must cover; a file is named `<scenario>-<workflow>.json`. This is the one
 * baseline of workflow code (issue 17 retired the first release's); histories of a later release go next to
 * these, in a subfolder of its own, never in place of them.
 */
export const SCENARIOS = [
  'success',
  'retries',
  'pause-resume',
  'redeliver-running',
  'redeliver-finished',
  'retry-now',
  'cancel',
  'operator-cancel',
  'slow-first-attempt',
  'long-pause',
  'continue-as-new',
  'recovery',
  'endpoint-hold',
  'gated',
  'rate-only',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** The scenario a fixture file belongs to (the longest scenario name its base name starts with). */
export function scenarioOf(file: string): Scenario | undefined {
  const base = path.basename(file, '.json');
  return [...SCENARIOS].sort((a, b) => b.length - a.length).find((s) => base.startsWith(`${s}-`));
}

/** Every .json file under `dir`, recursively, relative to it and sorted. */
export function listHistoryFiles(dir = HISTORIES_DIR): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json') && fs.statSync(path.join(dir, f)).isFile())
    .sort();
}

export function loadHistory(file: string, dir = HISTORIES_DIR): History {
  return historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
}

/**
 * The JSON text of a history plus every string in it decoded from base64 (payload data and metadata are
 * base64 in the JSON form), so a secret can be looked for whether it was written plainly or inside a payload.
 */
export function searchableText(json: string): string {
  const decoded: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') {
      if (/^[A-Za-z0-9+/]+={0,2}$/.test(value) && value.length % 4 === 0) {
        decoded.push(Buffer.from(value, 'base64').toString('utf8'));
      }
    } else if (Array.isArray(value)) {
      value.forEach(walk);
    } else if (value && typeof value === 'object') {
      Object.values(value).forEach(walk);
    }
  };
  walk(JSON.parse(json));
  return `${json}\n${decoded.join('\n')}`;
}

/** Names of the signals a run received, in order. */
export function signalNames(history: History): string[] {
  return (history.events ?? []).flatMap((e) => e.workflowExecutionSignaledEventAttributes?.signalName ?? []);
}

/** Names of the updates a run accepted. */
export function updateNames(history: History): string[] {
  return (history.events ?? []).flatMap(
    (e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name ?? [],
  );
}

export function workflowType(history: History): string | undefined {
  return history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? undefined;
}

/** The event that closed the run (completed, failed, continued as new...), or undefined if it is open. */
export function closingEvent(history: History): HistoryEvent | undefined {
  const last = history.events?.[history.events.length - 1];
  if (!last) return undefined;
  const closes = [
    last.workflowExecutionCompletedEventAttributes,
    last.workflowExecutionFailedEventAttributes,
    last.workflowExecutionContinuedAsNewEventAttributes,
    last.workflowExecutionCanceledEventAttributes,
    last.workflowExecutionTerminatedEventAttributes,
    last.workflowExecutionTimedOutEventAttributes,
  ];
  return closes.some(Boolean) ? last : undefined;
}
