/** One webhook with a scripted receiver, one event published to it through the engine, and its delivery. */
import type { PlatformEvent, PublishableEvent } from '../../src/store/model';
import { eventually, uniqueId, type TestEngine } from './engine';
import { startReceiver, type Reply } from './receiver';

export async function publishedDelivery(
  t: TestEngine,
  reply: (index: number) => Reply,
  options: { retrySchedule?: number[]; event?: PublishableEvent & PlatformEvent } = {},
) {
  const event = options.event ?? 'document.approved';
  const receiver = await startReceiver((_req, index) => reply(index));
  const tenantId = uniqueId('tenant');
  const doc = await t.addDocument(tenantId);
  const webhook = await t.addWebhook({ tenantId, url: receiver.url, event, retrySchedule: options.retrySchedule });
  const eventId = uniqueId('evt');
  await t.engine.publishEvent({ eventId, tenantId, event, documentId: String(doc._id) });
  const delivery = await eventually(async () => (await t.store.deliveries.listForEvent(`${tenantId}:${eventId}`))[0]);
  return { receiver, tenantId, webhook, delivery, handle: t.temporal.workflow.getHandle(delivery.workflowId) };
}
