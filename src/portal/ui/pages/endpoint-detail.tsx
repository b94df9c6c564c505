/**
 * One endpoint: its settings and health; pause, resume, edit, delete; its signing secret (reveal, rotate with a
 * grace period); a test event with its outcome; recovery of a time range; its recent deliveries.
 */
import { useState } from 'preact/hooks';
import { api } from '../api';
import {
  CopyButton,
  Dialog,
  ErrorNotice,
  HealthBadge,
  Notice,
  Time,
  endpointHealth,
  useAction,
  when,
} from '../components';
import { navigate, useLoad } from '../hooks';
import type { Outcome, Webhook } from '../types';
import { DeliveryTable, toIso, toLocal } from './deliveries';

function authText(w: Webhook): string {
  switch (w.auth.type) {
    case 'none':
      return 'None';
    case 'basic':
      return `Basic: ${w.auth.username} / ${w.auth.password}`;
    case 'bearer':
      return `Bearer ${w.auth.token}`;
    case 'apiKey':
      return `${w.auth.headerName}: ${w.auth.key}`;
  }
}

interface Props {
  id: string;
  canManage: boolean;
  canViewSecrets: boolean;
  created: boolean;
}

export function EndpointDetail({ id, canManage, canViewSecrets, created }: Props) {
  const path = `/v1/webhooks/${encodeURIComponent(id)}`;
  const endpoint = useLoad(
    () => api<Webhook>('GET', path),
    path,
    () => 5_000,
  );
  const w = endpoint.data;
  const [version, setVersion] = useState(0);
  const changed = () => setVersion((v) => v + 1);
  if (endpoint.error) return <ErrorNotice error={endpoint.error} />;
  if (!w) return <p class="loading">Loading…</p>;
  const health = endpointHealth(w);
  return (
    <section aria-labelledby="endpoint-title">
      <p class="breadcrumb">
        <a href="#/endpoints">Endpoints</a>
      </p>
      <div class="page-head">
        <h1 id="endpoint-title" class="url-title">
          {w.url}
        </h1>
        <HealthBadge webhook={w} />
      </div>
      {created && <Notice tone="success">Endpoint created. Send it a test event below.</Notice>}
      <dl class="facts">
        <dt>Event</dt>
        <dd>
          <code>{w.event}</code>
        </dd>
        <dt>Health</dt>
        <dd data-testid="health">{health.detail}</dd>
        <dt>Authorization</dt>
        <dd>{authText(w)}</dd>
        <dt>Retry schedule</dt>
        <dd>{w.retrySchedule ? `${w.retrySchedule.join(', ')} s` : 'Default'}</dd>
        <dt>Limits</dt>
        <dd data-testid="limits">{limitsText(w)}</dd>
        <dt>Created</dt>
        <dd>
          <Time at={w.createdAt} />
        </dd>
      </dl>
      {canManage && <EndpointActions webhook={w} reload={endpoint.reload} />}
      <SecretPanel webhook={w} canManage={canManage} canViewSecrets={canViewSecrets} reload={endpoint.reload} />
      {canManage && <TestEventPanel webhook={w} onSent={changed} />}
      {canManage && <RecoverPanel webhook={w} onQueued={changed} />}
      <h2>Recent deliveries</h2>
      <DeliveryTable filter={{ webhookId: w.id }} version={version} />
    </section>
  );
}

function EndpointActions({ webhook: w, reload }: { webhook: Webhook; reload: () => void }) {
  const [confirmDelete, setConfirmDelete] = useState(false);
  const path = `/v1/webhooks/${encodeURIComponent(w.id)}`;
  const toggle = useAction(async () => {
    await api('PATCH', path, { status: w.status === 'active' ? 'inactive' : 'active' });
    reload();
  });
  const remove = useAction(async () => {
    await api('DELETE', path);
    navigate('/endpoints');
  });
  return (
    <div class="actions">
      <button type="button" class="button" disabled={toggle.busy} onClick={() => void toggle.run()}>
        {w.status === 'active' ? 'Pause' : 'Resume'}
      </button>
      <a class="button-secondary" href={`#/endpoints/${encodeURIComponent(w.id)}/edit`}>
        Edit
      </a>
      <button type="button" class="button-danger" onClick={() => setConfirmDelete(true)}>
        Delete
      </button>
      <ErrorNotice error={toggle.error ?? remove.error} />
      <Dialog title="Delete this endpoint?" open={confirmDelete} onClose={() => setConfirmDelete(false)}>
        <p>
          Deliveries waiting for <strong>{w.url}</strong> are cancelled and it receives nothing more. This cannot be
          undone.
        </p>
        <div class="actions">
          <button type="button" class="button-danger" disabled={remove.busy} onClick={() => void remove.run()}>
            Delete endpoint
          </button>
          <button type="button" class="button-secondary" onClick={() => setConfirmDelete(false)}>
            Keep it
          </button>
        </div>
      </Dialog>
    </div>
  );
}

const GRACE_CHOICES: [number, string][] = [
  [0, 'None: stop signing with the old secret now'],
  [3600, '1 hour'],
  [86_400, '24 hours'],
  [7 * 86_400, '7 days'],
];

function SecretPanel({
  webhook: w,
  canManage,
  canViewSecrets,
  reload,
}: {
  webhook: Webhook;
  canManage: boolean;
  canViewSecrets: boolean;
  reload: () => void;
}) {
  const [shown, setShown] = useState<string | null>(null);
  const [grace, setGrace] = useState(86_400);
  const [rotated, setRotated] = useState<{ secret: string; until: string | null } | null>(null);
  const [confirming, setConfirming] = useState(false);
  const path = `/v1/webhooks/${encodeURIComponent(w.id)}/secret`;
  const reveal = useAction(async () => {
    setShown((await api<{ signingSecret: string | null }>('GET', path)).signingSecret);
  });
  const rotate = useAction(async () => {
    const answer = await api<{ signingSecret: string; previousSecretExpiresAt: string | null }>(
      'POST',
      `${path}/rotate`,
      { gracePeriodSeconds: grace },
    );
    setConfirming(false);
    setRotated({ secret: answer.signingSecret, until: answer.previousSecretExpiresAt });
    setShown(null);
    reload();
  });
  return (
    <section class="panel" aria-labelledby="secret-title">
      <h2 id="secret-title">Signing secret</h2>
      <p>
        <code data-testid="secret">{shown ?? w.signingSecret ?? 'none: deliveries are not signed'}</code>{' '}
        {shown && <CopyButton text={shown} />}
        {canViewSecrets && w.signingSecret && !shown && (
          <button type="button" class="button-small" disabled={reveal.busy} onClick={() => void reveal.run()}>
            Reveal
          </button>
        )}
      </p>
      {w.previousSecretsExpireAt.length > 0 && (
        <p class="hint" data-testid="grace">
          Deliveries are also signed with the previous secret until {w.previousSecretsExpireAt.map(when).join(', ')}:
          your receiver can accept either.
        </p>
      )}
      {canManage && (
        <div class="row">
          <label for="grace">Keep signing with the old secret for</label>
          <select id="grace" value={grace} onChange={(e) => setGrace(Number(e.currentTarget.value))}>
            {GRACE_CHOICES.map(([s, label]) => (
              <option key={s} value={s}>
                {label}
              </option>
            ))}
          </select>
          <button type="button" class="button" onClick={() => setConfirming(true)}>
            Rotate secret
          </button>
        </div>
      )}
      <Dialog title="Rotate the signing secret?" open={confirming} onClose={() => setConfirming(false)}>
        <p>
          {grace === 0
            ? 'From now on, deliveries are signed with the new secret only: a receiver that still checks the old one refuses them until you update it.'
            : `Deliveries are signed with both secrets for ${GRACE_CHOICES.find(([s]) => s === grace)?.[1] ?? ''}: update your receiver to the new one within that time.`}
        </p>
        <div class="actions">
          <button type="button" class="button" disabled={rotate.busy} onClick={() => void rotate.run()}>
            Rotate now
          </button>
          <button type="button" class="button-secondary" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      </Dialog>
      {rotated && (
        <Notice tone="success">
          New secret: <code data-testid="new-secret">{rotated.secret}</code> <CopyButton text={rotated.secret} />
          {rotated.until ? ` The old one keeps signing until ${when(rotated.until)}.` : ''}
        </Notice>
      )}
      <ErrorNotice error={reveal.error ?? rotate.error} />
    </section>
  );
}

export function TestEventPanel({
  webhook: w,
  compact = false,
  onSent,
}: {
  webhook: Webhook;
  compact?: boolean;
  onSent?: () => void;
}) {
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const send = useAction(async () => {
    setOutcome(null);
    setOutcome(await api<Outcome>('POST', `/v1/webhooks/${encodeURIComponent(w.id)}/test`));
    onSent?.();
  });
  return (
    <section class={compact ? 'compact' : 'panel'} aria-label={`Test event to ${w.url}`}>
      {!compact && <h2>Test event</h2>}
      {!compact && (
        <p>
          Sends a sample <code>{w.event}</code> (a sample invoice) through the real delivery path, signed like every
          delivery.
        </p>
      )}
      <button type="button" class="button" disabled={send.busy} onClick={() => void send.run()}>
        {send.busy ? 'Sending…' : 'Send test event'}
      </button>
      <ErrorNotice error={send.error} />
      {outcome && (
        <div
          class={`notice ${outcome.delivered ? 'notice-success' : 'notice-error'}`}
          role="status"
          data-testid="test-outcome"
        >
          <p>
            {outcome.delivered ? 'Delivered' : outcome.status === 'in_progress' ? 'Still being sent' : 'Not delivered'}
            {outcome.statusCode !== null && `: HTTP ${outcome.statusCode}`}
            {outcome.durationMs !== null && ` in ${outcome.durationMs} ms`}
            {outcome.error && ` (${outcome.error})`}.{' '}
            <a href={`#/deliveries/${encodeURIComponent(outcome.deliveryId)}`}>See the delivery</a>
          </p>
          {outcome.responseBody && (
            <pre class="body" tabIndex={0}>
              {outcome.responseBody}
            </pre>
          )}
        </div>
      )}
    </section>
  );
}

function RecoverPanel({ webhook: w, onQueued }: { webhook: Webhook; onQueued: () => void }) {
  const [since, setSince] = useState(toLocal(new Date(Date.now() - 86_400_000).toISOString()));
  const [until, setUntil] = useState('');
  const [preview, setPreview] = useState<number | null>(null);
  const [queued, setQueued] = useState<number | null>(null);
  const path = `/v1/webhooks/${encodeURIComponent(w.id)}/recover`;
  const body = (dryRun: boolean) => ({ since: toIso(since), ...(until ? { until: toIso(until) } : {}), dryRun });
  const count = useAction(async () => {
    setQueued(null);
    setPreview((await api<{ queued: number }>('POST', path, body(true))).queued);
  });
  const confirm = useAction(async () => {
    setQueued((await api<{ queued: number }>('POST', path, body(false))).queued);
    onQueued();
    setPreview(null);
  });
  return (
    <section class="panel" aria-labelledby="recover-title">
      <h2 id="recover-title">Recover</h2>
      <p>Re-send the deliveries that failed, and the events skipped while the endpoint was paused, in a time range.</p>
      <div class="row wrap">
        <label for="recover-since">From</label>
        <input
          id="recover-since"
          type="datetime-local"
          value={since}
          onInput={(e) => {
            setSince(e.currentTarget.value);
            setPreview(null);
          }}
        />
        <label for="recover-until">To (empty: now)</label>
        <input
          id="recover-until"
          type="datetime-local"
          value={until}
          onInput={(e) => {
            setUntil(e.currentTarget.value);
            setPreview(null);
          }}
        />
        <button type="button" class="button-secondary" disabled={count.busy || !since} onClick={() => void count.run()}>
          Count
        </button>
      </div>
      {preview !== null && (
        <div class="notice notice-info" role="status">
          <p data-testid="recover-preview">
            {preview === 0
              ? 'Nothing to re-send in this range.'
              : `${preview} ${preview === 1 ? 'delivery' : 'deliveries'} will be re-sent.`}
          </p>
          {preview > 0 && (
            <button type="button" class="button" disabled={confirm.busy} onClick={() => void confirm.run()}>
              Re-send {preview}
            </button>
          )}
        </div>
      )}
      {queued !== null && <Notice tone="success">Queued {queued} for re-sending, paced.</Notice>}
      <ErrorNotice error={count.error ?? confirm.error} />
    </section>
  );
}

/** Flow settings in words (set through the API). */
function limitsText(w: Webhook): string {
  const parts = [
    w.rateLimit ? `${w.rateLimit.perSecond}/s (burst ${w.rateLimit.burst})` : undefined,
    w.maxInFlight !== null ? `${w.maxInFlight} at once` : undefined,
    w.ordering === 'document'
      ? 'each document in order'
      : w.ordering === 'webhook'
        ? 'one at a time, in order'
        : undefined,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'None';
}
