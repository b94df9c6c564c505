/** What a webhook's gate and its deliveries say to each other (src/delivery/gate.ts has the rules). */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { GateAsk, GateState } from '../delivery/gate';
import type { FlowSettings } from '../store/model';

export interface GateAskMessage {
  ask: GateAsk;
  settings: FlowSettings;
  /** The webhook's updatedAt (ms) the settings were read at: older settings never replace newer ones. */
  version: number;
  /** Its permit before was reached late (asks from the gate-rate-permits-unreleased release on say either way). */
  late?: boolean;
}

export interface GateReleaseMessage {
  delivery: string;
  permitId?: string;
  /** The delivery finished for good: its ordering key is free. */
  done: boolean;
}

/** A permit, to the delivery: its attempt's POST may go at `notBefore` (ms); `ungated`: stop asking. */
export interface PermitMessage {
  permitId: string;
  notBefore: number;
  /** How late after notBefore its POST may still start (rate-limited permits only). */
  maxLateMs?: number;
  ungated?: boolean;
  /** A gate with a rate only keeps no count of its permits: the delivery gives nothing back. */
  unreleased?: boolean;
}

export const gateAskSignal = defineSignal<[GateAskMessage]>('gateAsk');
export const gateReleaseSignal = defineSignal<[GateReleaseMessage]>('gateRelease');
/** The webhook's flow settings changed (the API): they apply to the deliveries already waiting. */
export const gateSettingsSignal = defineSignal<[{ settings: FlowSettings; version: number }]>('gateSettings');
export const permitSignal = defineSignal<[PermitMessage]>('permit');
export const gateStateQuery = defineQuery<GateState>('gateState');
