/** Creating and changing webhooks: seal credentials, enforce the per-tenant cap, route status changes to the engine. */
import net from 'node:net';
import type { z } from 'zod';
import { vetAddress, type parseCidrs } from '../delivery/ssrf';
import { generateSigningSecret } from '../delivery/standard-webhooks';
import { ConflictStateError, NotFoundError, ValidationError } from '../errors';
import type { createWebhookSchema, updateWebhookSchema } from './schemas';
import type { EngineClient } from '../client/engine-client';
import type { SecretBox } from '../crypto/secret-box';
import { newId } from '../ids';
import type { Store } from '../store';
import type { WebhookRecord } from '../store/model';
import type { UnsettableWebhookField } from '../store/webhook-repository';
import { sealAuth } from './webhook-secrets';

export type CreateWebhookInput = z.output<typeof createWebhookSchema>;
export type UpdateWebhookInput = z.output<typeof updateWebhookSchema>;

export interface WebhookServiceDeps {
  store: Store;
  secrets: SecretBox;
  engine: Pick<EngineClient, 'setWebhookStatus' | 'flowSettingsChanged'>;
  maxWebhooksPerTenant: number;
  /** DELIVERY_ALLOWED_CIDRS: private ranges this deployment may deliver to. */
  allowedCidrs?: ReturnType<typeof parseCidrs>;
}

/**
 * Refuses, at creation, a URL whose host is an IP literal outside the public internet (the URL parser has
 * already turned 2130706433, 0x7f.1 or 127.1 into 127.0.0.1) or a localhost name. Names are checked again,
 * resolved, at every send.
 */
export function checkDestination(url: string, allowed: ReturnType<typeof parseCidrs> = []): void {
  // A trailing dot names the same host (the DNS root): 'localhost.' is localhost.
  const host = new URL(url).hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  if (net.isIP(host)) {
    const verdict = vetAddress(host, allowed);
    if (!verdict.allowed) throw new ValidationError('body.url', `must point at a public address: ${verdict.reason}`);
  } else if ((host === 'localhost' || host.endsWith('.localhost')) && !vetAddress('127.0.0.1', allowed).allowed) {
    throw new ValidationError('body.url', 'must point at a public address: localhost is this machine');
  }
}

export function createWebhookService(deps: WebhookServiceDeps) {
  async function create(tenantId: string, input: CreateWebhookInput): Promise<WebhookRecord> {
    checkDestination(input.url, deps.allowedCidrs);
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
    if (input.rateLimit) record.rateLimit = input.rateLimit;
    if (input.maxInFlight !== undefined) record.maxInFlight = input.maxInFlight;
    if (input.ordering !== 'none') record.ordering = input.ordering;
    await deps.store.webhooks.insert(record);
    return record;
  }

  /**
   * Applies the change. A status (changed or not) is handed to the engine, which pauses or resumes the running
   * deliveries durably: `handedTo` of them were open; `statusVersion` is the webhook's status version.
   */
  async function update(tenantId: string, id: string, patch: UpdateWebhookInput) {
    const existing = await deps.store.webhooks.findForTenant(tenantId, id);
    if (!existing) throw new NotFoundError('webhook');
    const set: Partial<WebhookRecord> = { updatedAt: new Date() };
    const unset: UnsettableWebhookField[] = [];
    if (patch.url !== undefined) {
      checkDestination(patch.url, deps.allowedCidrs);
      set.url = patch.url;
    }
    if (patch.event !== undefined) set.event = patch.event;
    if (patch.auth !== undefined) set.auth = sealAuth(patch.auth, deps.secrets);
    if (patch.signingSecret === null) unset.push('signingSecret');
    else if (patch.signingSecret !== undefined) set.signingSecret = deps.secrets.seal(patch.signingSecret);
    if (patch.retrySchedule === null) unset.push('retrySchedule');
    else if (patch.retrySchedule !== undefined) set.retrySchedule = patch.retrySchedule;
    if (patch.rateLimit === null) unset.push('rateLimit');
    else if (patch.rateLimit !== undefined) set.rateLimit = patch.rateLimit;
    if (patch.maxInFlight === null) unset.push('maxInFlight');
    else if (patch.maxInFlight !== undefined) set.maxInFlight = patch.maxInFlight;
    if (patch.ordering === 'none') unset.push('ordering');
    else if (patch.ordering !== undefined) set.ordering = patch.ordering;
    let webhook = await deps.store.webhooks.update(tenantId, id, set, unset);
    if (!webhook) throw new NotFoundError('webhook');
    const flowChanged = ['rateLimit', 'maxInFlight', 'ordering'].some((f) => f in patch);
    // Deliveries already waiting at the gate get the new settings now, not at their next ask.
    if (flowChanged) await deps.engine.flowSettingsChanged(webhook);
    let handedTo = 0;
    if (patch.status !== undefined) {
      const changed = await deps.engine.setWebhookStatus(tenantId, id, patch.status);
      webhook = changed.webhook;
      handedTo = changed.handedTo;
    }
    return { webhook, statusVersion: webhook.statusVersion ?? 0, handedTo };
  }

  /**
   * Replaces the signing secret. For the grace period, deliveries carry a webhook-signature for the old and
   * the new secret (X-Docflo-Signature uses the new one), so receivers can switch without dropping any.
   */
  async function rotateSecret(tenantId: string, id: string, input: { secret?: string; gracePeriodSeconds: number }) {
    const existing = await deps.store.webhooks.findForTenant(tenantId, id);
    if (!existing) throw new NotFoundError('webhook');
    const now = new Date();
    const expiresAt = new Date(now.getTime() + input.gracePeriodSeconds * 1000);
    const stillLive = (existing.previousSigningSecrets ?? []).filter((p) => p.expiresAt > now);
    const keepOld = existing.signingSecret !== undefined && input.gracePeriodSeconds > 0;
    const previous =
      keepOld && existing.signingSecret ? [{ secret: existing.signingSecret, expiresAt }, ...stillLive] : stillLive;
    const secret = input.secret ?? generateSigningSecret();
    const webhook = await deps.store.webhooks.update(
      tenantId,
      id,
      { signingSecret: deps.secrets.seal(secret), previousSigningSecrets: previous, updatedAt: now },
      [],
    );
    if (!webhook) throw new NotFoundError('webhook');
    return { webhook, secret, previousExpiresAt: keepOld ? expiresAt : null };
  }

  return { create, update, rotateSecret };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
