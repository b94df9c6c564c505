/** The authorization header each mode of the product page sends. */
export type PlainAuth =
  | { type: 'none' }
  | { type: 'basic'; username: string; password: string }
  | { type: 'bearer'; token: string }
  | { type: 'apiKey'; headerName: string; key: string };

export function authHeaders(auth: PlainAuth): Record<string, string> {
  switch (auth.type) {
    case 'none':
      return {};
    case 'basic':
      return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}` };
    case 'bearer':
      return { authorization: `Bearer ${auth.token}` };
    case 'apiKey':
      return { [auth.headerName.toLowerCase()]: auth.key };
  }
}

/** The header names that carry credentials for this mode, to redact in stored attempts. */
export function credentialHeaderNames(auth: { type: PlainAuth['type']; headerName?: string }): string[] {
  if (auth.type === 'basic' || auth.type === 'bearer') return ['authorization'];
  if (auth.type === 'apiKey' && auth.headerName) return [auth.headerName.toLowerCase()];
  return [];
}
