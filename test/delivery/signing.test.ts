import crypto from 'node:crypto';
import { docfloSignature } from '../../src/delivery/signing';
import { buildPayload, serializePayload } from '../../src/delivery/payload';
import { ObjectId } from 'mongodb';

/** The product page's verification function, verbatim in behaviour. */
function verifyWebhookSignature(payload: unknown, signature: string, secret: string): boolean {
  const expectedSignature =
    'sha256=' + crypto.createHmac('sha256', secret).update(JSON.stringify(payload)).digest('hex');
  return crypto.timingSafeEqual(Buffer.from(signature), Buffer.from(expectedSignature));
}

describe('docfloSignature', () => {
  test('is sha256= followed by the hex HMAC-SHA256 of the exact body', () => {
    expect(docfloSignature('{"a":1}', 'secret')).toBe(
      'sha256=' + crypto.createHmac('sha256', 'secret').update('{"a":1}').digest('hex'),
    );
    expect(docfloSignature('{"a":1}', 'secret')).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  test('the product page example verifies a body built from a stored document with dates, ObjectIds and decimals', () => {
    const body = serializePayload(
      buildPayload({
        event: 'document.processed',
        tenantId: 't1',
        occurredAt: new Date('2025-03-10T17:53:46.000Z'),
        document: {
          _id: new ObjectId('65f0c1a2b3c4d5e6f7a8b9c0'),
          tenantId: 't1',
          createdAt: new Date('2025-03-10T17:50:00.000Z'),
          fields: { InvoiceTotal: { Amount: 1500.5 }, Unicode: 'Zürich ✓ "quoted"', Items: [{ Quantity: 10 }] },
        },
      }),
    );
    const signature = docfloSignature(body, 'whsec_test');
    expect(verifyWebhookSignature(JSON.parse(body), signature, 'whsec_test')).toBe(true);
    expect(verifyWebhookSignature(JSON.parse(body), signature, 'other-secret')).toBe(false);
  });
});

describe('buildPayload', () => {
  test('has exactly event, tenantId, timestamp and doc, with _id as a string and dates as ISO 8601', () => {
    const payload = buildPayload({
      event: 'document.approved',
      tenantId: 'tenant-1',
      occurredAt: new Date('2025-03-10T17:53:46.000Z'),
      document: {
        _id: new ObjectId('65f0c1a2b3c4d5e6f7a8b9c0'),
        tenantId: 'tenant-1',
        type: 'invoice',
        status: 'APPROVED',
        createdAt: new Date('2025-03-10T17:50:00.000Z'),
        updatedAt: new Date('2025-03-10T17:53:46.000Z'),
        fields: { InvoiceDate: '2025-03-01', Nested: { When: new Date('2025-01-01T00:00:00.000Z') } },
      },
    });
    expect(Object.keys(payload)).toEqual(['event', 'tenantId', 'timestamp', 'doc']);
    expect(payload.timestamp).toBe('2025-03-10T17:53:46.000Z');
    expect(payload.doc._id).toBe('65f0c1a2b3c4d5e6f7a8b9c0');
    expect(payload.doc.createdAt).toBe('2025-03-10T17:50:00.000Z');
    expect(payload.doc.fields).toEqual({ InvoiceDate: '2025-03-01', Nested: { When: '2025-01-01T00:00:00.000Z' } });
  });
});
