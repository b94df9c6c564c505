/** Read-only access to Docflo's own `documents` collection, always scoped to the tenant. */
import { ObjectId, type Collection } from 'mongodb';
import type { DocfloDocument } from './model';

export class DocumentRepository {
  constructor(private readonly documents: Collection<DocfloDocument>) {}

  /** Docflo's IDs are ObjectIds; a string ID that is not one is looked up as stored. */
  async findForTenant(tenantId: string, documentId: string): Promise<DocfloDocument | null> {
    const ids: (ObjectId | string)[] = [documentId];
    if (ObjectId.isValid(documentId) && /^[0-9a-fA-F]{24}$/.test(documentId)) ids.unshift(new ObjectId(documentId));
    return this.documents.findOne({ _id: { $in: ids }, tenantId });
  }
}
