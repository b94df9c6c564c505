/** Creating and changing webhooks: seal credentials, enforce the per-tenant cap, route status changes to the engine. */
import type { z } from 'zod';
import type { createWebhookSchema, updateWebhookSchema } from '../api/schemas';
import { ConflictStateError, NotFoundError, type EngineClient } from '../client/engine-client';
import type { SecretBox } from '../crypto/secret-box';
import { newId } from '../ids';
import type { Store } from '../store';
import type { WebhookRecord } from '../store/model';
import { sealAuth } from './webhook-secrets';

export type CreateWebhookInput = z.output<typeof createWebhookSchema>;
export type UpdateWebhookInput = z.output<typeof updateWebhookSchema>;

export interface WebhookServiceDeps {
  store: Store;
  secrets: SecretBox;
  engine: Pick<EngineClient, 'setWebhookStatus'>;
  maxWebhooksPerTenant: number;
}

export function createWebhookService(deps: WebhookServiceDeps) {
  async function create(tenantId: string, input: CreateWebhookInput): Promise<WebhookRecord> {
    if ((await deps.store.webhooks.countForTenant(tenantId)) >= deps.maxWebhooksPerTenant) {
      throw new ConflictStateError(`a tenant may have at most ${deps.maxWebhooksPerTenant} webhooks`);
    }
    const now = new Date();
    const record: WebhookRecord = {
      _id: newId('wh'),
      tenantId,
      url: input.url,
      event: input.event,
      auth: sealAuth(input.auth, deps.secrets),
      status: input.status,
      createdAt: now,
      updatedAt: now,
    };
    if (input.signingSecret) record.signingSecret = deps.secrets.seal(input.signingSecret);
    if (input.retrySchedule) record.retrySchedule = input.retrySchedule;
    await deps.store.webhooks.insert(record);
    return record;
  }

  /** Applies the change; a status change also pauses or resumes in-flight deliveries (`signalled` of them). */
  async function update(tenantId: string, id: string, patch: UpdateWebhookInput) {
    const existing = await deps.store.webhooks.findForTenant(tenantId, id);
    if (!existing) throw new NotFoundError('webhook');
    const set: Partial<WebhookRecord> = { updatedAt: new Date() };
    const unset: ('signingSecret' | 'retrySchedule')[] = [];
    if (patch.url !== undefined) set.url = patch.url;
    if (patch.event !== undefined) set.event = patch.event;
    if (patch.auth !== undefined) set.auth = sealAuth(patch.auth, deps.secrets);
    if (patch.signingSecret === null) unset.push('signingSecret');
    else if (patch.signingSecret !== undefined) set.signingSecret = deps.secrets.seal(patch.signingSecret);
    if (patch.retrySchedule === null) unset.push('retrySchedule');
    else if (patch.retrySchedule !== undefined) set.retrySchedule = patch.retrySchedule;
    let webhook = await deps.store.webhooks.update(tenantId, id, set, unset);
    if (!webhook) throw new NotFoundError('webhook');
    let signalled = 0;
    if (patch.status !== undefined && patch.status !== existing.status) {
      const changed = await deps.engine.setWebhookStatus(tenantId, id, patch.status);
      webhook = changed.webhook;
      signalled = changed.signalled;
    }
    return { webhook, signalled };
  }

  return { create, update };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
