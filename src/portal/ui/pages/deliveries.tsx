/**
 * The delivery log: filter by status, endpoint, event type and time; each row opens the delivery. Refreshes by
 * itself every few seconds while a listed delivery is still open, so a retry is seen as it happens.
 */
import { useState } from 'preact/hooks';
import { api, query } from '../api';
import { ErrorNotice, StatusBadge, Time } from '../components';
import { navigate, useLoad } from '../hooks';
import { DELIVERY_STATUSES, EVENT_TYPES, OPEN_STATUSES, type Delivery, type Page, type Webhook } from '../types';

export interface DeliveryFilter {
  status?: string;
  webhookId?: string;
  event?: string;
  since?: string;
  until?: string;
}

const REFRESH_OPEN_MS = 2_000;
const REFRESH_IDLE_MS = 5_000;

/** `endpoints`: to show each delivery's endpoint URL; none when the table is one endpoint's own. */
/** `version`: bumped by the page when it has just made a delivery (a test event, a recovery), to show it now. */
export function DeliveryTable({
  filter,
  endpoints,
  version = 0,
}: {
  filter: DeliveryFilter;
  endpoints?: Webhook[];
  version?: number;
}) {
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const path = `/v1/deliveries${query({ ...filter, limit: '25', cursor })}`;
  const page = useLoad(
    () => api<Page<Delivery>>('GET', path),
    `${path}#${version}`,
    (p) => (p.data.some((d) => OPEN_STATUSES.includes(d.status)) ? REFRESH_OPEN_MS : REFRESH_IDLE_MS),
  );
  const urlOf = (id: string) => endpoints?.find((w) => w.id === id)?.url ?? `${id} (deleted)`;
  return (
    <div>
      <ErrorNotice error={page.error} />
      {page.data && page.data.data.length === 0 && <p class="empty">No deliveries match.</p>}
      {page.data && page.data.data.length > 0 && (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Deliveries">
          <table class="deliveries">
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Event</th>
                {endpoints && <th scope="col">Endpoint</th>}
                <th scope="col">Attempts</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {page.data.data.map((d) => (
                <tr key={d.id} data-delivery={d.id}>
                  <td>
                    <StatusBadge status={d.status} />
                  </td>
                  <td>
                    <a href={`#/deliveries/${encodeURIComponent(d.id)}`}>
                      <code>{d.event}</code>
                    </a>
                    {d.documentId && <div class="muted small">{d.documentId}</div>}
                  </td>
                  {endpoints && <td class="url-cell">{urlOf(d.webhookId)}</td>}
                  <td>
                    {d.attemptCount}
                    {d.lastStatusCode !== null && <span class="muted small"> · HTTP {d.lastStatusCode}</span>}
                  </td>
                  <td>
                    <Time at={d.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div class="pager">
        {cursors.length > 0 && (
          <button type="button" class="button-secondary" onClick={() => setCursors(cursors.slice(0, -1))}>
            Newer
          </button>
        )}
        {page.data?.nextCursor && (
          <button
            type="button"
            class="button-secondary"
            onClick={() => setCursors([...cursors, page.data?.nextCursor ?? ''])}
          >
            Older
          </button>
        )}
      </div>
    </div>
  );
}

/** datetime-local (the browser's local time) to ISO 8601, and back. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : '');
const toLocal = (iso: string | null) => {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

export function DeliveriesPage({ params }: { params: URLSearchParams }) {
  const filter: DeliveryFilter = {
    status: params.get('status') ?? undefined,
    webhookId: params.get('webhookId') ?? undefined,
    event: params.get('event') ?? undefined,
    since: params.get('since') ?? undefined,
    until: params.get('until') ?? undefined,
  };
  const endpoints = useLoad(() => api<Page<Webhook>>('GET', '/v1/webhooks?limit=100'), 'endpoints');
  const set = (name: keyof DeliveryFilter, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    navigate(`/deliveries?${next.toString()}`);
  };
  return (
    <section aria-labelledby="deliveries-title">
      <h1 id="deliveries-title">Deliveries</h1>
      <form class="filters" role="search" aria-label="Filter deliveries" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label for="f-status">Status</label>
          <select id="f-status" value={filter.status ?? ''} onChange={(e) => set('status', e.currentTarget.value)}>
            <option value="">Any</option>
            {DELIVERY_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-endpoint">Endpoint</label>
          <select
            id="f-endpoint"
            value={filter.webhookId ?? ''}
            onChange={(e) => set('webhookId', e.currentTarget.value)}
          >
            <option value="">Any</option>
            {endpoints.data?.data.map((w) => (
              <option key={w.id} value={w.id}>
                {w.url} ({w.event})
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-event">Event type</label>
          <select id="f-event" value={filter.event ?? ''} onChange={(e) => set('event', e.currentTarget.value)}>
            <option value="">Any</option>
            {EVENT_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-since">From</label>
          <input
            id="f-since"
            type="datetime-local"
            value={toLocal(filter.since ?? null)}
            onChange={(e) => set('since', toIso(e.currentTarget.value))}
          />
        </div>
        <div>
          <label for="f-until">To</label>
          <input
            id="f-until"
            type="datetime-local"
            value={toLocal(filter.until ?? null)}
            onChange={(e) => set('until', toIso(e.currentTarget.value))}
          />
        </div>
      </form>
      <DeliveryTable key={JSON.stringify(filter)} filter={filter} endpoints={endpoints.data?.data ?? []} />
    </section>
  );
}

export { toIso, toLocal };
