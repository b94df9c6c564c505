/**
 * The Web UI says why: every delivery workflow starts with a static summary (event → host/path) and keeps its
 * current details up to date (retrying with the reason, paused since when, blocked and why); event workflows
 * say what they fanned out. Neither, nor any history, holds a secret, a query string or a document field.
 */
import { eventually, startTestEngine, uniqueId, type TestEngine } from '../helpers/engine';
import { historyText } from '../helpers/history';
import { startReceiver } from '../helpers/receiver';
import { workflowMetadataQuery } from '@temporalio/workflow';
import type { DeliveryRecord, DeliveryStatus } from '../../src/store/model';
import { eventWorkflowId } from '../../src/workflows/ids';

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine({ retrySchedule: [3600] });
});
afterAll(async () => {
  await t.dispose();
});

const TOKEN = 'ui-details-bearer-token-never-shown';
const SIGNING = 'whsec_dWktZGV0YWlscy1zaWduaW5nLXNlY3JldA==';

async function currentDetails(workflowId: string): Promise<string> {
  const metadata = await t.temporal.workflow.getHandle(workflowId).query(workflowMetadataQuery);
  return metadata.currentDetails ?? '';
}

async function deliveryIn(tenantId: string, eventId: string, statuses: DeliveryStatus[]): Promise<DeliveryRecord> {
  return eventually(async () => {
    const [d] = await t.store.deliveries.listForEvent(`${tenantId}:${eventId}`);
    return d && statuses.includes(d.status) ? d : undefined;
  });
}

async function publishTo(url: string) {
  const tenantId = uniqueId('tenant');
  const doc = await t.addDocument(tenantId);
  const webhook = await t.addWebhook({
    tenantId,
    url,
    event: 'document.approved',
    auth: { type: 'bearer', token: TOKEN },
    signingSecret: SIGNING,
  });
  const eventId = uniqueId('evt');
  await t.engine.publishEvent({ eventId, tenantId, event: 'document.approved', documentId: String(doc._id) });
  return { tenantId, webhook, eventId, doc };
}

test('retrying, paused and blocked deliveries say why in their summary and details; no secret anywhere', async () => {
  const receiver = await startReceiver(() => ({ status: 401 }));
  const target = `${new URL(receiver.url).host}/hooks`;

  const retrying = await publishTo(`${receiver.url}?token=${TOKEN}`);
  const retryingDelivery = await deliveryIn(retrying.tenantId, retrying.eventId, ['retrying']);
  const handle = t.temporal.workflow.getHandle(retryingDelivery.workflowId);
  expect(await (await handle.describe()).staticSummary()).toBe(`document.approved → ${target}`);
  expect(await currentDetails(retryingDelivery.workflowId)).toMatch(
    new RegExp(`^retrying: HTTP 401 from ${target.split('/')[0]}, attempt 1 of 2, next at \\d\\d:\\d\\dZ$`),
  );

  await t.engine.setWebhookStatus(retrying.tenantId, retrying.webhook._id, 'inactive');
  await deliveryIn(retrying.tenantId, retrying.eventId, ['paused']);
  expect(await currentDetails(retryingDelivery.workflowId)).toMatch(/^paused: webhook inactive since \d\d:\d\dZ$/);

  // An endpoint at a private address: blocked before any connection (no packet leaves for 10.x).
  const blocked = await publishTo('https://10.0.0.5/hooks/erp');
  const blockedDelivery = await deliveryIn(blocked.tenantId, blocked.eventId, ['failed']);
  expect(await (await t.temporal.workflow.getHandle(blockedDelivery.workflowId).describe()).staticSummary()).toBe(
    'document.approved → 10.0.0.5/hooks/erp',
  );
  expect(await currentDetails(blockedDelivery.workflowId)).toBe(
    'blocked: 10.0.0.5 is a private address, not a public one',
  );

  const eventWf = eventWorkflowId(retrying.tenantId, retrying.eventId);
  expect(await (await t.temporal.workflow.getHandle(eventWf).describe()).staticSummary()).toBe(
    `document.approved for tenant ${retrying.tenantId}`,
  );
  expect(await currentDetails(eventWf)).toBe(`document.approved for tenant ${retrying.tenantId}: 1 webhook`);

  const documentValues = [String(retrying.doc.fields?.InvoiceId), 'Acme Corporation', 'Professional Services'];
  for (const workflowId of [retryingDelivery.workflowId, blockedDelivery.workflowId, eventWf]) {
    const text = `${await historyText(t.temporal, workflowId)}\n${await currentDetails(workflowId)}`;
    for (const secret of [TOKEN, SIGNING, '?token=', ...documentValues]) {
      expect([workflowId, secret, text.includes(secret)]).toEqual([workflowId, secret, false]);
    }
  }
  await receiver.close();
});
