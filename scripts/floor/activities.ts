/** The floor's one activity: the engine's signed request, built from a document held in memory (no store). */
import { buildPayload, serializePayload } from '../../src/delivery/payload';
import { buildDeliveryHeaders } from '../../src/delivery/request';
import type { Sender } from '../../src/delivery/sender';
import { sampleInvoiceFields } from '../../src/events/sample-document';

export function createFloorActivities(sender: Sender) {
  return {
    async floorSend(input: { url: string; docId: string; deliveryId: string }): Promise<number> {
      const now = new Date();
      const body = serializePayload(
        buildPayload({
          event: 'document.processed',
          tenantId: 'floor',
          occurredAt: now,
          document: {
            _id: input.docId,
            tenantId: 'floor',
            type: 'invoice',
            status: 'ANALYZED',
            fields: sampleInvoiceFields(),
          },
        }),
      );
      const result = await sender.send({
        url: input.url,
        body,
        headers: buildDeliveryHeaders({
          deliveryId: input.deliveryId,
          attempt: 1,
          event: 'document.processed',
          body,
          auth: { type: 'bearer', token: 'floor-token' },
          signingSecrets: ['whsec_Zmxvb3ItYmVuY2gtc2VjcmV0'],
          timestamp: Math.floor(now.getTime() / 1000),
        }),
      });
      return result.kind === 'response' ? result.statusCode : 0;
    },
  };
}
