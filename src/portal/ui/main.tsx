/**
 * The tenant portal. Opened from a single-use link (/portal/login#<token>): the token is spent for an HttpOnly
 * session cookie and removed from the address bar; every later call is the admin API with that cookie.
 */
import { render } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, useSession } from './api';
import { ErrorNotice } from './components';
import { useRoute } from './hooks';
import type { Me, Webhook } from './types';
import { DeliveriesPage } from './pages/deliveries';
import { DeliveryDetail } from './pages/delivery-detail';
import { EndpointDetail } from './pages/endpoint-detail';
import { EndpointForm } from './pages/endpoint-form';
import { EndpointsPage } from './pages/endpoints';
import { EventTypesPage } from './pages/event-types';
import { useLoad } from './hooks';
import './portal.css';

async function startSession(): Promise<Me> {
  if (location.pathname === '/portal/login') {
    const token = location.hash.slice(1);
    // Out of the address bar (and history) before anything else can read or share it.
    history.replaceState(null, '', '/portal/#/endpoints');
    return api<Me>('POST', '/portal/api/session', { token });
  }
  return api<Me>('GET', '/portal/api/session');
}

/** WCAG relative luminance of #rrggbb. */
function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

const contrast = (a: number, b: number) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);

/**
 * The session's colours: the accent fills buttons (with black or white text, whichever reads better) and, where
 * it reads well enough on the page's background (4.5:1), colours links too; else links keep the default colour.
 */
function applyTheme(theme: Me['theme']): void {
  const root = document.documentElement;
  if (theme.mode) root.dataset.theme = theme.mode;
  if (!theme.accentColor) return;
  const accent = luminance(theme.accentColor);
  root.style.setProperty('--accent', theme.accentColor);
  root.style.setProperty('--on-accent', contrast(accent, 0) > contrast(accent, 1) ? '#0b0b0b' : '#ffffff');
  const dark = root.dataset.theme === 'dark';
  const background = luminance(dark ? '#121417' : '#ffffff');
  if (contrast(accent, background) >= 4.5) root.style.setProperty('--link', theme.accentColor);
}

function Signed({ me, onSignOut }: { me: Me; onSignOut: () => void }) {
  const { path, params } = useRoute();
  const canManage = me.capabilities.includes('manage_endpoints');
  const canViewSecrets = me.capabilities.includes('view_secrets');
  const [section = 'endpoints', id, sub] = path;
  const where = path.join('/');
  const first = useRef(true);
  // A new page moves the focus to its content, as a page load would put it at the top: Tab goes on from there.
  // In the same commit as the page, not after paint: a deferred move took the focus from a field the user (or a
  // test, on a busy machine) had already clicked into, and the typing went nowhere.
  useLayoutEffect(() => {
    if (first.current) first.current = false;
    else document.getElementById('main')?.focus();
  }, [where]);
  const page = (section: string, id?: string, sub?: string) => {
    const managing = (id === 'new' && !sub) || sub === 'edit';
    if (section === 'endpoints' && managing && !canManage)
      return <Missing text="This session is read only: it cannot add or change endpoints." />;
    if (section === 'endpoints' && !id) return <EndpointsPage canManage={canManage} />;
    if (section === 'endpoints' && id === 'new' && !sub) return <EndpointForm />;
    if (section === 'endpoints' && id && sub === 'edit') return <EditEndpoint id={id} />;
    if (section === 'endpoints' && id && !sub)
      return (
        <EndpointDetail
          key={id}
          id={id}
          canManage={canManage}
          canViewSecrets={canViewSecrets}
          created={params.has('created')}
        />
      );
    if (section === 'deliveries' && !id) return <DeliveriesPage params={params} />;
    if (section === 'deliveries' && id && !sub) return <DeliveryDetail key={id} id={id} canManage={canManage} />;
    if (section === 'event-types' && !id) return <EventTypesPage canManage={canManage} />;
    return <Missing text="There is no such page." />;
  };
  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <div class="brand">
          {me.theme.logoUrl && <img src={me.theme.logoUrl} alt="" class="logo" />}
          <span>
            Webhooks <span class="muted">· {me.tenantName}</span>
          </span>
        </div>
        <nav aria-label="Portal">
          <a href="#/endpoints" aria-current={section === 'endpoints' ? 'page' : undefined}>
            Endpoints
          </a>
          <a href="#/deliveries" aria-current={section === 'deliveries' ? 'page' : undefined}>
            Deliveries
          </a>
          <a href="#/event-types" aria-current={section === 'event-types' ? 'page' : undefined}>
            Event types
          </a>
        </nav>
        <div class="session">
          {!canManage && <span class="badge badge-paused">read only</span>}
          <button type="button" class="button-small" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {page(section, id, sub)}
      </main>
    </>
  );
}

function Missing({ text }: { text: string }) {
  return (
    <section>
      <h1>Not here</h1>
      <p>{text}</p>
      <p>
        <a href="#/endpoints">Back to the endpoints</a>
      </p>
    </section>
  );
}

function EditEndpoint({ id }: { id: string }) {
  const endpoint = useLoad(() => api<Webhook>('GET', `/v1/webhooks/${encodeURIComponent(id)}`), id);
  if (endpoint.error) return <ErrorNotice error={endpoint.error} />;
  return endpoint.data ? <EndpointForm existing={endpoint.data} /> : <p class="loading">Loading…</p>;
}

function SignedOut({ error }: { error?: unknown }) {
  const invalidLink = error instanceof ApiError && error.code === 'link_invalid';
  return (
    <main id="main" class="signed-out">
      <h1>Webhooks portal</h1>
      <p role="alert">
        {invalidLink
          ? 'This link was already used, has expired or was revoked. Ask for a new one.'
          : 'Your session has ended. Open the portal again from the application that sent you here.'}
      </p>
    </main>
  );
}

function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    startSession().then(
      (session) => {
        useSession(session, () => setMe(null));
        applyTheme(session.theme);
        setMe(session);
      },
      (err: unknown) => {
        setError(err);
        setMe(null);
      },
    );
  }, []);
  const signOut = () => {
    void api('DELETE', '/portal/api/session').finally(() => setMe(null));
  };
  if (me === undefined) return <p class="loading">Loading…</p>;
  if (me === null) return <SignedOut error={error} />;
  return <Signed me={me} onSignOut={signOut} />;
}

// The browser's preference until (and unless) the session chooses a theme.
document.documentElement.dataset.theme = matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
const root = document.getElementById('app');
if (root) render(<App />, root);
