/**
 * The portal's session cookie and its CSRF defence. The cookie is HttpOnly (no script reads it) and SameSite;
 * over HTTPS it is Secure with the __Host- prefix (bound to this host, path /). A state change made with it
 * must carry the session's CSRF token in X-CSRF-Token and, where the browser says, come from this origin.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Request, Response } from 'express';
import { parseCookie, stringifySetCookie } from 'cookie';
import { sameText } from '../crypto/same-text';

const PLAIN_NAME = 'docflo_portal';
const HOST_NAME = '__Host-docflo_portal';

export interface CookiePolicy {
  /** Secure and __Host-: whenever the portal is reached over HTTPS (PUBLIC_URL) or SameSite is None. */
  secure: boolean;
  sameSite: 'strict' | 'lax' | 'none';
}

export function cookiePolicy(publicUrl: string, sameSite: 'Strict' | 'Lax' | 'None'): CookiePolicy {
  return { secure: publicUrl.startsWith('https:') || sameSite === 'None', sameSite: lower(sameSite) };
}

const lower = (s: 'Strict' | 'Lax' | 'None') => s.toLowerCase() as CookiePolicy['sameSite'];

export function portalSessionToken(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  const cookies = parseCookie(header);
  return cookies[HOST_NAME] ?? cookies[PLAIN_NAME];
}

export function setSessionCookie(res: Response, policy: CookiePolicy, token: string, expires: Date): void {
  res.append('Set-Cookie', serialize(policy, token, expires));
}

export function clearSessionCookie(res: Response, policy: CookiePolicy): void {
  res.append('Set-Cookie', serialize(policy, '', new Date(0)));
}

function serialize(policy: CookiePolicy, value: string, expires: Date): string {
  return stringifySetCookie({
    name: policy.secure ? HOST_NAME : PLAIN_NAME,
    value,
    path: '/',
    httpOnly: true,
    secure: policy.secure,
    sameSite: policy.sameSite,
    // A third-party iframe's cookie lives in that top-level site's partition (CHIPS), never shared across sites.
    partitioned: policy.sameSite === 'none',
    expires,
  });
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Why a state change made with the cookie is refused, or undefined when it is allowed. */
export function sameOriginStateChange(req: Request, csrfToken: string): string | undefined {
  if (SAFE_METHODS.has(req.method)) return undefined;
  const crossOrigin = crossOriginProblem(req.headers);
  if (crossOrigin) return crossOrigin;
  const sent = req.headers['x-csrf-token'];
  if (typeof sent !== 'string' || !sameText(sent, csrfToken)) return 'X-CSRF-Token is missing or wrong';
  return undefined;
}

/**
 * Why a request is not the portal's own, where the browser says where it comes from (Sec-Fetch-Site, Origin);
 * undefined when it is, or when no browser sent it.
 */
export function crossOriginProblem(headers: IncomingHttpHeaders): string | undefined {
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin')
    return `a portal request must come from the portal (Sec-Fetch-Site: ${site})`;
  const origin = headers.origin;
  if (origin !== undefined && hostOf(origin) !== headers.host)
    return 'a portal request must come from the portal (Origin)';
  return undefined;
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}
