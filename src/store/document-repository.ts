/** Read-only access to Docflo's own `documents` collection, always scoped to the tenant. */
import { ObjectId, type Collection } from 'mongodb';
import type { DocfloDocument } from './model';

export class DocumentRepository {
  constructor(private readonly documents: Collection<DocfloDocument>) {}

  /**
   * Docflo's IDs are ObjectIds; a string ID that is not one is looked up as stored. Found by `_id` alone, then
   * checked against the tenant here: another tenant's document is "not found" all the same.
   */
  async findForTenant(tenantId: string, documentId: string): Promise<DocfloDocument | null> {
    const ids: (ObjectId | string)[] = /^[0-9a-fA-F]{24}$/.test(documentId)
      ? [new ObjectId(documentId), documentId]
      : [documentId];
    for (const _id of ids) {
      const doc = await this.documents.findOne({ _id });
      if (doc) return doc.tenantId === tenantId ? doc : null;
    }
    return null;
  }
}
