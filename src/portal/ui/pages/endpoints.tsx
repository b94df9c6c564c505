/** The tenant's endpoints with their health, and the way to add one. */
import { api } from '../api';
import { ErrorNotice, HealthBadge, endpointHealth } from '../components';
import { useLoad } from '../hooks';
import type { Page, Webhook } from '../types';

export function EndpointsPage({ canManage }: { canManage: boolean }) {
  const list = useLoad(
    () => api<Page<Webhook>>('GET', '/v1/webhooks?limit=100'),
    'endpoints',
    () => 10_000,
  );
  return (
    <section aria-labelledby="endpoints-title">
      <div class="page-head">
        <h1 id="endpoints-title">Endpoints</h1>
        {canManage && (
          <a class="button" href="#/endpoints/new">
            Add endpoint
          </a>
        )}
      </div>
      <ErrorNotice error={list.error} />
      {list.data && list.data.data.length === 0 && (
        <p class="empty">No endpoints yet.{canManage ? ' Add one to start receiving events.' : ''}</p>
      )}
      {list.data && list.data.data.length > 0 && (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Endpoints">
          <table>
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Event</th>
                <th scope="col">Health</th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((w) => (
                <tr key={w.id}>
                  <td class="url-cell">
                    <a href={`#/endpoints/${encodeURIComponent(w.id)}`}>{w.url}</a>
                  </td>
                  <td>
                    <code>{w.event}</code>
                  </td>
                  <td>
                    <HealthBadge webhook={w} />{' '}
                    {endpointHealth(w).word !== 'active' && <span class="muted small">{endpointHealth(w).detail}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
