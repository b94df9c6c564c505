/**
 * What the engine writes about an endpoint as it sends: the hold an endpoint asked for, and the streak of
 * failed deliveries that auto-disable counts. Each in a document of its own, apart from the webhook's record,
 * so no engine write ever rewrites what a tenant, or another kind of engine write, changed at the same moment
 * (see EndpointState).
 */
import type { Collection } from 'mongodb';
import { updateElseInsert } from './forward-write';
import type {
  EndpointHold,
  EndpointHoldRecord,
  EndpointState,
  EndpointStateRecord,
  FailureStreak,
  WebhookRecord,
} from './model';

export class EndpointStateRepository {
  constructor(
    private readonly states: Collection<EndpointStateRecord>,
    private readonly holds: Collection<EndpointHoldRecord>,
  ) {}

  /** The webhook's state: its hold and its streak, read together. */
  async find(webhookId: string): Promise<EndpointState> {
    const [state, hold] = await Promise.all([
      this.states.findOne({ _id: webhookId }),
      this.holds.findOne({ _id: webhookId }),
    ]);
    return stateOf(state, hold);
  }

  /** The webhook's hold, if it has one (expired or not): what every automatic attempt reads. */
  async findHold(webhookId: string): Promise<EndpointHold | undefined> {
    return holdOf(await this.holds.findOne({ _id: webhookId }));
  }

  /** The states of these webhooks, by webhook ID (a page of a listing). */
  async findMany(webhookIds: string[]): Promise<Map<string, EndpointState>> {
    if (webhookIds.length === 0) return new Map();
    const [states, holds] = await Promise.all([
      this.states.find({ _id: { $in: webhookIds } }).toArray(),
      this.holds.find({ _id: { $in: webhookIds } }).toArray(),
    ]);
    return new Map(
      webhookIds.map((id) => [
        id,
        stateOf(
          states.find((s) => s._id === id),
          holds.find((h) => h._id === id),
        ),
      ]),
    );
  }

  /** Holds the endpoint until `hold.until`, unless a hold that ends later is already there. */
  async hold(webhook: Pick<WebhookRecord, '_id' | 'tenantId'>, hold: EndpointHold): Promise<boolean> {
    const record: EndpointHoldRecord = { _id: webhook._id, tenantId: webhook.tenantId, ...hold };
    return (await updateElseInsert(this.holds, record, { until: { $lt: hold.until } }, { $set: hold })) !== null;
  }

  /** A delivery succeeded after a hold: the endpoint takes attempts again (a hold set since then stays). */
  async release(webhookId: string, hold: EndpointHold): Promise<void> {
    await this.holds.deleteOne({ _id: webhookId, until: hold.until });
  }

  /**
   * Counts one more failed delivery in the webhook's streak under its current status version (starting one at
   * `now` if there is none, or if the one there counted under another version), and answers the state after.
   */
  async recordFailure(
    webhook: Pick<WebhookRecord, '_id' | 'tenantId' | 'statusVersion'>,
    lastError: string,
    now: Date,
  ): Promise<EndpointStateRecord | null> {
    const statusVersion = webhook.statusVersion ?? 0;
    const counted = await this.countFailure(webhook._id, statusVersion, lastError, now);
    if (counted) return counted;
    const failureStreak: FailureStreak = {
      since: now,
      count: 1,
      lastError,
      lastFailureAt: now,
      warned: [],
      statusVersion,
    };
    // No streak under this version: start one (another failure may start it first; then it is counted there).
    // Never over a streak of a newer version: this failure was judged against an older status, and counts nowhere.
    const started = await updateElseInsert(
      this.states,
      { _id: webhook._id, tenantId: webhook.tenantId, failureStreak },
      {
        $or: [
          { failureStreak: { $exists: false } },
          { 'failureStreak.statusVersion': { $exists: false } },
          { 'failureStreak.statusVersion': { $lt: statusVersion } },
        ],
      },
      { $set: { failureStreak } },
    );
    return started ?? this.countFailure(webhook._id, statusVersion, lastError, now);
  }

  /** One more failure in the streak counted under `statusVersion`, if that is the one there. */
  private async countFailure(
    webhookId: string,
    statusVersion: number,
    lastError: string,
    now: Date,
  ): Promise<EndpointStateRecord | null> {
    return this.states.findOneAndUpdate(
      { _id: webhookId, 'failureStreak.statusVersion': statusVersion },
      {
        $inc: { 'failureStreak.count': 1 },
        $set: { 'failureStreak.lastError': lastError, 'failureStreak.lastFailureAt': now },
      },
      { returnDocument: 'after' },
    );
  }

  /**
   * A delivery succeeded: the streak, if any, is over. Looked up by `_id` first, then written by `_id` (FerretDB on
   * SQLite answers any other filter by reading the whole collection): a failure counted in between is lost with it.
   */
  async endFailureStreak(webhookId: string): Promise<void> {
    const state = await this.states.findOne({ _id: webhookId });
    if (state?.failureStreak) await this.states.updateOne({ _id: webhookId }, { $unset: { failureStreak: '' } });
  }

  /**
   * Claims the warning at `threshold` percent of the streak that began at `since`: true exactly once per
   * streak and threshold, however many workers record failures at once.
   */
  async claimStreakWarning(webhookId: string, since: Date, threshold: number): Promise<boolean> {
    const result = await this.states.updateOne(
      { _id: webhookId, 'failureStreak.since': since, 'failureStreak.warned': { $ne: threshold } },
      { $push: { 'failureStreak.warned': threshold } },
    );
    return result.modifiedCount === 1;
  }

  /**
   * Claims the automatic disabling of `streak` (the one that began at its `since`, under its status version): ends
   * the streak and notes the claim until the status is written. False when another worker claimed it, or the
   * streak moved on.
   */
  async claimAutoDisable(
    webhookId: string,
    streak: Pick<FailureStreak, 'since' | 'statusVersion'>,
    disabling: NonNullable<EndpointStateRecord['disabling']>,
  ): Promise<boolean> {
    const before = await this.states.findOneAndUpdate(
      { _id: webhookId, 'failureStreak.since': streak.since, 'failureStreak.statusVersion': streak.statusVersion },
      { $set: { disabling }, $unset: { failureStreak: '' } },
      { returnDocument: 'before' },
    );
    return before !== null;
  }

  /** The claimed disabling is written, or was overtaken by a newer status. */
  async endDisabling(webhookId: string): Promise<void> {
    await this.states.updateOne({ _id: webhookId, disabling: { $exists: true } }, { $unset: { disabling: '' } });
  }

  async delete(webhookId: string): Promise<void> {
    await this.states.deleteOne({ _id: webhookId });
    await this.holds.deleteOne({ _id: webhookId });
  }
}

function stateOf(
  state: EndpointStateRecord | null | undefined,
  hold: EndpointHoldRecord | null | undefined,
): EndpointState {
  const found: EndpointState = {};
  if (state?.failureStreak) found.failureStreak = state.failureStreak;
  if (state?.disabling) found.disabling = state.disabling;
  const endpointHold = holdOf(hold);
  if (endpointHold) found.hold = endpointHold;
  return found;
}

function holdOf(record: EndpointHoldRecord | null | undefined): EndpointHold | undefined {
  return record ? { until: record.until, reason: record.reason, askedSeconds: record.askedSeconds } : undefined;
}
