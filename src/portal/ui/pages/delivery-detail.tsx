/**
 * One delivery: where it stands and why (the live reason its workflow gives while it waits), every attempt
 * with its request headers (credentials redacted) and the receiver's response, and a manual redelivery.
 */
import { useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorNotice, StatusBadge, Time, useAction } from '../components';
import { useLoad } from '../hooks';
import { OPEN_STATUSES, type Attempt, type DeliveryDetail as Detail, type Outcome, type Webhook } from '../types';

export function DeliveryDetail({ id, canManage }: { id: string; canManage: boolean }) {
  const path = `/v1/deliveries/${encodeURIComponent(id)}`;
  const delivery = useLoad(
    () => api<Detail>('GET', path),
    path,
    (d) => (OPEN_STATUSES.includes(d.status) ? 2_000 : undefined),
  );
  const d = delivery.data;
  const webhookPath = d ? `/v1/webhooks/${encodeURIComponent(d.webhookId)}` : '';
  // The endpoint may have been deleted since (a 404): the delivery stays readable, and cannot be redelivered.
  const endpoint = useLoad(
    () => (d ? api<Webhook>('GET', webhookPath).catch(() => null) : Promise.resolve(undefined)),
    // Read again as the delivery moves on: the endpoint may have been edited, paused or resumed meanwhile.
    d ? `${webhookPath}#${d.status}#${d.attemptCount}` : '',
  );
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const redeliver = useAction(async () => {
    setOutcome(await api<Outcome>('POST', `${path}/redeliver`));
    delivery.reload();
  });
  if (delivery.error) return <ErrorNotice error={delivery.error} />;
  if (!d) return <p class="loading">Loading…</p>;
  const open = OPEN_STATUSES.includes(d.status);
  return (
    <section aria-labelledby="delivery-title">
      <p class="breadcrumb">
        <a href="#/deliveries">Deliveries</a>
      </p>
      <div class="page-head">
        <h1 id="delivery-title">
          <code>{d.event}</code> delivery
        </h1>
        <StatusBadge status={d.status} />
      </div>
      <p class="reason" data-testid="reason" aria-live="polite">
        {d.reason ?? summary(d)}
      </p>
      {open && <p class="hint">This page updates by itself until the delivery ends.</p>}
      <dl class="facts">
        <dt>Delivery</dt>
        <dd>
          <code>{d.id}</code>
        </dd>
        <dt>Endpoint</dt>
        <dd>
          {endpoint.data === null ? (
            `${d.webhookId} (deleted)`
          ) : (
            <a href={`#/endpoints/${encodeURIComponent(d.webhookId)}`}>{endpoint.data?.url ?? d.webhookId}</a>
          )}
        </dd>
        <dt>Event</dt>
        <dd>
          <code>{d.eventId}</code>
          {d.documentId && (
            <>
              {' '}
              · document <code>{d.documentId}</code>
            </>
          )}
        </dd>
        <dt>Created</dt>
        <dd>
          <Time at={d.createdAt} />
        </dd>
        {d.nextAttemptAt && d.status !== 'paused' && (
          <>
            <dt>Next attempt</dt>
            <dd>
              <Time at={d.nextAttemptAt} />
            </dd>
          </>
        )}
      </dl>
      {canManage && endpoint.data?.status === 'inactive' && (
        <p class="hint">The endpoint is paused: resume it to redeliver.</p>
      )}
      {canManage && endpoint.data?.status === 'active' && (
        <div class="actions">
          <button type="button" class="button" disabled={redeliver.busy} onClick={() => void redeliver.run()}>
            {redeliver.busy ? 'Sending…' : 'Redeliver now'}
          </button>
        </div>
      )}
      <ErrorNotice error={redeliver.error} />
      {outcome && (
        <p
          class={`notice ${outcome.delivered ? 'notice-success' : 'notice-error'}`}
          role="status"
          data-testid="redeliver-outcome"
        >
          Attempt {outcome.attempt ?? '—'}: {outcome.delivered ? 'delivered' : outcome.status}
          {outcome.statusCode !== null && `, HTTP ${outcome.statusCode}`}
          {outcome.error && ` (${outcome.error})`}
        </p>
      )}
      <h2>Attempts</h2>
      {d.attempts.length === 0 && <p class="empty">No attempt yet.</p>}
      <ol class="attempts">
        {[...d.attempts].reverse().map((a) => (
          <AttemptItem key={a.attempt} attempt={a} />
        ))}
      </ol>
    </section>
  );
}

/** A finished delivery (or an open one whose run did not answer) in words, from its record. */
function summary(d: Detail): string {
  const attempts = `${d.attemptCount} ${d.attemptCount === 1 ? 'attempt' : 'attempts'}`;
  if (d.status === 'succeeded') return `succeeded: HTTP ${d.lastStatusCode ?? ''} after ${attempts}`;
  if (d.lastError) return `${d.status}: ${d.lastError}, ${attempts}`;
  if (d.lastStatusCode !== null) return `${d.status}: HTTP ${d.lastStatusCode}, ${attempts}`;
  return `${d.status}: ${attempts}`;
}

function AttemptItem({ attempt: a }: { attempt: Attempt }) {
  const result = a.delivered
    ? `HTTP ${a.statusCode ?? ''}`
    : a.statusCode !== null
      ? `HTTP ${a.statusCode}`
      : `${a.errorClass ?? 'error'}${a.error ? `: ${a.error}` : ''}`;
  return (
    <li class="attempt" data-attempt={a.attempt}>
      <details>
        <summary>
          <span class={`badge badge-${a.delivered ? 'succeeded' : 'failed'}`}>
            {a.delivered ? 'delivered' : 'failed'}
          </span>{' '}
          Attempt {a.attempt} · {result} · {a.durationMs} ms · <Time at={a.startedAt} />{' '}
          <span class="muted small">({a.trigger})</span>
        </summary>
        <h3>Request</h3>
        <p>
          POST <code>{a.url}</code>
        </p>
        <table class="headers">
          <caption class="visually-hidden">Request headers</caption>
          <tbody>
            {Object.entries(a.requestHeaders).map(([name, value]) => (
              <tr key={name}>
                <th scope="row">{name}</th>
                <td>
                  <code>{value}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <h3>Response</h3>
        {a.responseBodyErased ? (
          <p class="muted">Erased with the event's payload.</p>
        ) : a.responseBody !== null ? (
          <pre class="body" tabIndex={0} data-testid="response-body">
            {a.responseBody}
            {a.responseBodyTruncated ? '\n… (truncated)' : ''}
          </pre>
        ) : (
          <p class="muted">No response body.</p>
        )}
        {a.error && (
          <p>
            Error: <code>{a.error}</code>
          </p>
        )}
      </details>
    </li>
  );
}
