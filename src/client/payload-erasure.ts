/**
 * Erasing one event's payload (DELETE /v1/events/{id}/payload): the document snapshot must be forgotten, the
 * metadata stays for the audit trail. In order:
 *   1. the body is removed from the event record (nothing can rebuild it: dispatch and setBodyOnce refuse);
 *   2. a dispatch still under way is waited for, so every delivery the event will ever have exists;
 *   3. each open delivery's run is told (`erasePayload`, a run started from the record if none is going): it
 *      ends `failed` with reason `erased` once its attempt in flight (if any) is over;
 *   4. the call waits until none is open and no attempt of any of them is being sent (a redelivery of a
 *      finished one may be): past the answer nothing is sent (a delivery's run decides, and an attempt that
 *      starts later reads the store, finds the payload erased and sends nothing);
 *   5. what receivers answered is removed from the attempts (a receiver may have echoed the document).
 * Every step is idempotent: an answer that says `complete: false` (a run slower than the wait) is finished by
 * calling again, and the runs end their deliveries durably meanwhile.
 */
import type { Client } from '@temporalio/client';
import { continuedDeliveryInput, orphanedDeliveryInput, type DeliveryInputDeps } from '../activities/delivery-input';
import { NotFoundError } from '../errors';
import type { Store } from '../store';
import { eventKey } from '../store/event-repository';
import { OPEN_DELIVERY_STATUSES, type DeliveryRecord } from '../store/model';
import { signalDelivery } from './delivery-messages';
import { pollUntil } from '../infra/wait';

export interface PayloadEraserDeps {
  temporal: Client;
  taskQueue: string;
  store: Store;
  deliveryDefaults: DeliveryInputDeps;
  /** How long the call waits for a dispatch and for the open deliveries to end (default 60 s). */
  waitMs?: number;
}

export interface PayloadErasure {
  eventId: string;
  payloadErasedAt: Date;
  /** Deliveries that were open and were told to end. */
  deliveriesEnded: number;
  /** Attempts whose stored response body was removed. */
  responseBodiesErased: number;
  /** False when the wait ran out first (some delivery still open): call again to finish. */
  complete: boolean;
}

const SIGNAL_CONCURRENCY = 25;

export function createPayloadEraser(deps: PayloadEraserDeps) {
  const waitMs = deps.waitMs ?? 60_000;

  async function erasePayload(tenantId: string, eventId: string): Promise<PayloadErasure> {
    const key = eventKey(tenantId, eventId);
    const erased = await deps.store.events.erasePayload(key, new Date());
    if (!erased?.payloadErasedAt) throw new NotFoundError('event');
    const deadline = Date.now() + waitMs;
    const dispatched = await pollUntil(
      deadline,
      async () => (await deps.store.events.findByKey(key))?.status !== 'pending',
    );
    const open = (await deps.store.deliveries.listForEvent(key)).filter((d) =>
      OPEN_DELIVERY_STATUSES.includes(d.status),
    );
    for (let i = 0; i < open.length; i += SIGNAL_CONCURRENCY) {
      await Promise.all(open.slice(i, i + SIGNAL_CONCURRENCY).map((d) => tell(d)));
    }
    const ended = await pollUntil(deadline, async () => (await deps.store.deliveries.countOpenForEvent(key)) === 0);
    // A finished delivery may have a redelivery in flight (or a first attempt left going by a terminated run):
    // it read the body before it was erased, so it ends before the answer, and its response is erased below.
    const all = await deps.store.deliveries.listForEvent(key);
    const quiet = await pollUntil(
      deadline,
      async () =>
        !(await deps.store.deliveries.anySending(
          all.map((d) => d._id),
          new Date(),
        )),
    );
    const responseBodiesErased = await deps.store.deliveries.eraseResponseBodies(all.map((d) => d._id));
    return {
      eventId,
      payloadErasedAt: erased.payloadErasedAt,
      deliveriesEnded: open.length,
      responseBodiesErased,
      complete: dispatched && ended && quiet,
    };
  }

  /** The delivery's run hears of it; a delivery with no run gets one from its record, which ends it. */
  async function tell(d: DeliveryRecord): Promise<void> {
    const webhook = await deps.store.webhooks.findById(d.webhookId);
    const input = webhook
      ? continuedDeliveryInput(d, webhook, deps.deliveryDefaults, new Date())
      : orphanedDeliveryInput(d, new Date());
    await signalDelivery(deps, d, input, { signal: 'erasePayload' });
  }

  return { erasePayload };
}
