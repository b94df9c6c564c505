/** The portal's calls to the admin API: same routes as the tenant's API key, with the session cookie. */
import type { Me } from './types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}

let csrfToken = '';
let onSessionEnded: () => void = () => undefined;

export function useSession(me: Me, ended: () => void): void {
  csrfToken = me.csrfToken;
  onSessionEnded = ended;
}

export async function api<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const data = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string; details?: unknown } };
  if (!res.ok) {
    const error = data.error ?? { code: 'error', message: `HTTP ${res.status}` };
    if (res.status === 401 && path !== '/portal/api/session') onSessionEnded();
    const details = Array.isArray(error.details) ? (error.details as { field: string; message: string }[]) : [];
    throw new ApiError(res.status, error.code, error.message, details);
  }
  return data as T;
}

export function query(params: Record<string, string | undefined>): string {
  const entries = Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '');
  return entries.length ? `?${new URLSearchParams(entries).toString()}` : '';
}
