/** The synthetic document a test event carries: the product page's invoice, with a status fitting the event. */
import type { DocfloDocument, PublishableEvent } from '../store/model';

const STATUS_FOR_EVENT: Record<PublishableEvent, string> = {
  'document.created': 'UPLOADED',
  'document.processed': 'ANALYZED',
  'document.approved': 'APPROVED',
  'document.rejected': 'REJECTED',
  'document.status_changed': 'ANALYZED',
};

export function sampleDocument(id: string, tenantId: string, event: PublishableEvent, now: Date): DocfloDocument {
  return {
    _id: id,
    tenantId,
    type: 'invoice',
    status: STATUS_FOR_EVENT[event],
    createdAt: new Date(now.getTime() - 4 * 60 * 1000),
    updatedAt: now,
    fields: sampleInvoiceFields(),
  };
}

/** The invoice fields the product page shows in its example payload. */
export function sampleInvoiceFields(): Record<string, unknown> {
  return {
    InvoiceId: 'INV-2025-001',
    VendorName: 'Acme Corporation',
    InvoiceDate: '2025-03-01',
    InvoiceTotal: { Amount: 1500.0, CurrencyCode: 'USD' },
    Items: [{ Description: 'Professional Services', Quantity: 10, UnitPrice: 150.0, Amount: 1500.0 }],
  };
}
