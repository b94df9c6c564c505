/** Create or edit an endpoint: URL, event, how Docflo authenticates to it, signing secret, retry schedule. */
import { useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { ErrorNotice, useAction } from '../components';
import { navigate } from '../hooks';
import { EVENT_TYPES, type Webhook } from '../types';

type AuthType = 'none' | 'basic' | 'bearer' | 'apiKey';

function generatedSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

function fieldError(error: unknown, field: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  return error.details.find((d) => d.field === `body.${field}` || d.field.startsWith(`body.${field}.`))?.message;
}

function FieldError({ error, field }: { error: unknown; field: string }) {
  const message = fieldError(error, field);
  return message ? (
    <p class="field-error" id={`${field}-error`}>
      {message}
    </p>
  ) : null;
}

function parseSchedule(text: string): number[] | null {
  if (text.trim() === '') return null;
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(Number);
}

export function EndpointForm({ existing }: { existing?: Webhook }) {
  const [url, setUrl] = useState(existing?.url ?? '');
  const [event, setEvent] = useState(existing?.event ?? 'document.processed');
  const [authType, setAuthType] = useState<AuthType>(existing?.auth.type ?? 'none');
  const [username, setUsername] = useState(existing?.auth.type === 'basic' ? existing.auth.username : '');
  const [credential, setCredential] = useState('');
  const [headerName, setHeaderName] = useState(
    existing?.auth.type === 'apiKey' ? existing.auth.headerName : 'x-api-key',
  );
  const [secret, setSecret] = useState(existing ? '' : generatedSecret());
  const [schedule, setSchedule] = useState(existing?.retrySchedule?.join(', ') ?? '');

  const save = useAction(async () => {
    const authChanged =
      !existing ||
      authType !== existing.auth.type ||
      credential !== '' ||
      (authType === 'basic' && existing.auth.type === 'basic' && username !== existing.auth.username);
    const auth =
      authType === 'none'
        ? { type: 'none' }
        : authType === 'basic'
          ? { type: 'basic', username, password: credential }
          : authType === 'bearer'
            ? { type: 'bearer', token: credential }
            : { type: 'apiKey', headerName, key: credential };
    const body: Record<string, unknown> = { url, event };
    if (authChanged) body.auth = auth;
    const retrySchedule = parseSchedule(schedule);
    if (existing) {
      body.retrySchedule = retrySchedule;
      const saved = await api<Webhook>('PATCH', `/v1/webhooks/${encodeURIComponent(existing.id)}`, body);
      navigate(`/endpoints/${encodeURIComponent(saved.id)}`);
    } else {
      if (secret !== '') body.signingSecret = secret;
      if (retrySchedule) body.retrySchedule = retrySchedule;
      const saved = await api<Webhook>('POST', '/v1/webhooks', body);
      navigate(`/endpoints/${encodeURIComponent(saved.id)}?created=1`);
    }
  });

  const credentialLabel = { basic: 'Password', bearer: 'Token', apiKey: 'Key', none: '' }[authType];
  const keepHint =
    existing && existing.auth.type === authType && authType !== 'none' ? ' (leave empty to keep the current one)' : '';
  return (
    <section aria-labelledby="form-title">
      <h1 id="form-title">{existing ? 'Edit endpoint' : 'Add endpoint'}</h1>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          void save.run();
        }}
      >
        <ErrorNotice error={save.error} />
        <label for="url">Endpoint URL</label>
        <input
          id="url"
          type="url"
          required
          value={url}
          placeholder="https://erp.example.com/webhooks/docflo"
          onInput={(e) => setUrl(e.currentTarget.value)}
          aria-invalid={fieldError(save.error, 'url') ? true : undefined}
          aria-describedby="url-error"
        />
        <FieldError error={save.error} field="url" />

        <label for="event">Event</label>
        <select id="event" value={event} onChange={(e) => setEvent(e.currentTarget.value)}>
          {EVENT_TYPES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>

        <fieldset>
          <legend>How Docflo authenticates to your endpoint</legend>
          <label for="auth-type">Authorization</label>
          <select id="auth-type" value={authType} onChange={(e) => setAuthType(e.currentTarget.value as AuthType)}>
            <option value="none">None (verify the signature only)</option>
            <option value="basic">Basic (username and password)</option>
            <option value="bearer">Bearer token</option>
            <option value="apiKey">API key header</option>
          </select>
          {authType === 'basic' && (
            <>
              <label for="auth-username">Username</label>
              <input
                id="auth-username"
                value={username}
                onInput={(e) => setUsername(e.currentTarget.value)}
                autocomplete="off"
              />
            </>
          )}
          {authType === 'apiKey' && (
            <>
              <label for="auth-header">Header name</label>
              <input
                id="auth-header"
                value={headerName}
                onInput={(e) => setHeaderName(e.currentTarget.value)}
                autocomplete="off"
              />
            </>
          )}
          {authType !== 'none' && (
            <>
              <label for="auth-credential">
                {credentialLabel}
                {keepHint}
              </label>
              <input
                id="auth-credential"
                type="password"
                value={credential}
                onInput={(e) => setCredential(e.currentTarget.value)}
                autocomplete="new-password"
              />
            </>
          )}
          <FieldError error={save.error} field="auth" />
        </fieldset>

        {!existing && (
          <>
            <label for="secret">Signing secret</label>
            <div class="row">
              <input
                id="secret"
                value={secret}
                onInput={(e) => setSecret(e.currentTarget.value)}
                autocomplete="off"
                spellcheck={false}
                aria-describedby="secret-hint"
              />
              <button type="button" class="button-small" onClick={() => setSecret(generatedSecret())}>
                Generate
              </button>
            </div>
            <p class="hint" id="secret-hint">
              Deliveries carry <code>X-Docflo-Signature: sha256=…</code>, the HMAC-SHA256 of the body with this secret.
              Leave it empty to send unsigned deliveries.
            </p>
            <FieldError error={save.error} field="signingSecret" />
          </>
        )}

        <label for="schedule">Retry schedule (seconds between attempts)</label>
        <input
          id="schedule"
          value={schedule}
          placeholder="e.g. 5, 300, 1800"
          onInput={(e) => setSchedule(e.currentTarget.value)}
          aria-describedby="schedule-hint"
        />
        <p class="hint" id="schedule-hint">
          Comma-separated. Empty: the engine's default schedule.
        </p>
        <FieldError error={save.error} field="retrySchedule" />

        <div class="actions">
          <button type="submit" class="button" disabled={save.busy}>
            {existing ? 'Save' : 'Create endpoint'}
          </button>
          <a
            class="button-secondary"
            href={existing ? `#/endpoints/${encodeURIComponent(existing.id)}` : '#/endpoints'}
          >
            Cancel
          </a>
        </div>
      </form>
    </section>
  );
}
