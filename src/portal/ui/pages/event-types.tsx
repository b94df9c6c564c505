/** The event catalogue: what each event means, its body's JSON Schema and an example body. */
import { api } from '../api';
import { CopyButton, ErrorNotice } from '../components';
import { useLoad } from '../hooks';
import type { EventType, Page, Webhook } from '../types';
import { useState } from 'preact/hooks';
import { TestEventPanel } from './endpoint-detail';

function SendTest({ type, endpoints }: { type: string; endpoints: Webhook[] }) {
  const subscribed = endpoints.filter((w) => w.event === type);
  const [id, setId] = useState(subscribed[0]?.id ?? '');
  const chosen = subscribed.find((w) => w.id === id) ?? subscribed[0];
  if (!chosen) return <p class="muted small">No endpoint subscribes to it yet.</p>;
  return (
    <div class="row wrap">
      <label for={`test-${type}`}>Send a test to</label>
      <select id={`test-${type}`} value={chosen.id} onChange={(e) => setId(e.currentTarget.value)}>
        {subscribed.map((w) => (
          <option key={w.id} value={w.id}>
            {w.url}
          </option>
        ))}
      </select>
      <TestEventPanel key={chosen.id} webhook={chosen} compact />
    </div>
  );
}

export function EventTypesPage({ canManage }: { canManage: boolean }) {
  const types = useLoad(() => api<{ data: EventType[] }>('GET', '/v1/event-types'), 'event-types');
  const endpoints = useLoad(() => api<Page<Webhook>>('GET', '/v1/webhooks?limit=100'), 'endpoints');
  return (
    <section aria-labelledby="types-title">
      <h1 id="types-title">Event types</h1>
      <p>
        Every delivery is an HTTPS POST of JSON, signed as <code>X-Docflo-Signature: sha256=&lt;hex&gt;</code> (the
        HMAC-SHA256 of the raw body with the endpoint's signing secret).
      </p>
      <ErrorNotice error={types.error} />
      {types.data?.data.map((t) => {
        const example = JSON.stringify(t.example, null, 2);
        return (
          <article class="panel" key={t.type} aria-labelledby={`type-${t.type}`}>
            <h2 id={`type-${t.type}`}>
              <code>{t.type}</code>
            </h2>
            <p>{t.description}</p>
            {canManage && endpoints.data && <SendTest type={t.type} endpoints={endpoints.data.data} />}
            <details>
              <summary>Example body</summary>
              <CopyButton text={example} label="Copy example" />
              <pre class="body" tabIndex={0}>
                {example}
              </pre>
            </details>
            <details>
              <summary>JSON Schema</summary>
              <pre class="body" tabIndex={0}>
                {JSON.stringify(t.schema, null, 2)}
              </pre>
            </details>
          </article>
        );
      })}
    </section>
  );
}
