/**
 * Once per store: what records written before the engine's state had documents of its own carry on the webhook
 * record (`hold`, `failureStreak`, `statusHandOffPending`, and an auto-disabling claimed but never written: an
 * active webhook with a `disabledReason`) is copied to those documents, so an upgrade loses no hand-off, hold or
 * streak. The webhook records are not written (they are the tenant's); the old fields stay there, unread.
 * Copies never overwrite: a document the new code wrote first wins. Runs again until its marker is written.
 */
import type { Db } from 'mongodb';
import { isDuplicateKey } from './forward-write';
import { collections } from './mongo';
import type { EndpointHold, FailureStreak, WebhookRecord } from './model';

const MARKER = 'endpoint-state-split';

/** The fields an older record may carry. */
type LegacyWebhook = WebhookRecord & {
  hold?: EndpointHold;
  failureStreak?: FailureStreak;
  statusHandOffPending?: number;
};

const ignoreDuplicate = (err: unknown) => {
  if (!isDuplicateKey(err)) throw err;
};

export async function migrateEndpointState(db: Db): Promise<number> {
  const markers = db.collection<{ _id: string; at: Date }>('migrations');
  if (await markers.findOne({ _id: MARKER })) return 0;
  const c = collections(db);
  const legacy = await db
    .collection<LegacyWebhook>('webhooks')
    .find({
      $or: [
        { hold: { $exists: true } },
        { failureStreak: { $exists: true } },
        { statusHandOffPending: { $exists: true } },
        { status: 'active', disabledReason: { $exists: true } },
      ],
    })
    .toArray();
  for (const w of legacy) {
    const owner = { _id: w._id, tenantId: w.tenantId };
    if (w.statusHandOffPending !== undefined) {
      await c.statusHandOffs
        .insertOne({ ...owner, version: w.statusHandOffPending, at: w.updatedAt })
        .catch(ignoreDuplicate);
    }
    if (w.hold) await c.endpointHolds.insertOne({ ...owner, ...w.hold }).catch(ignoreDuplicate);
    const statusVersion = w.statusVersion ?? 0;
    if (w.status === 'active' && w.disabledReason) {
      // Claimed, never written: the next failure finishes it (auto-disable's finishDisabling).
      const disabling = { ...w.disabledReason, statusVersion };
      await c.endpointStates.insertOne({ ...owner, disabling }).catch(ignoreDuplicate);
    } else if (w.failureStreak) {
      const failureStreak = { ...w.failureStreak, statusVersion };
      await c.endpointStates.insertOne({ ...owner, failureStreak }).catch(ignoreDuplicate);
    }
  }
  await markers.insertOne({ _id: MARKER, at: new Date() }).catch(ignoreDuplicate);
  return legacy.length;
}
