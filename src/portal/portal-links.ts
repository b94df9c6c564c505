/** Makes a portal session and the single-use link that opens it: for the API route and `npm run dev` alike. */
import type { PortalSettings } from '../api/deps';
import type {
  PortalCapability,
  PortalSessionRecord,
  PortalSessionRepository,
  PortalTheme,
} from '../store/portal-session-repository';

export async function createPortalLink(
  sessions: Pick<PortalSessionRepository, 'create'>,
  settings: Pick<PortalSettings, 'publicUrl' | 'linkTtlSeconds' | 'sessionTtlSeconds'>,
  input: {
    tenantId: string;
    capabilities: PortalCapability[];
    theme: PortalTheme;
    createdBy: string;
    sessionTtlSeconds?: number;
  },
): Promise<{ record: PortalSessionRecord; url: string }> {
  const { record, linkToken } = await sessions.create({
    tenantId: input.tenantId,
    capabilities: input.capabilities,
    theme: input.theme,
    createdBy: input.createdBy,
    linkTtlSeconds: settings.linkTtlSeconds,
    sessionTtlSeconds: input.sessionTtlSeconds ?? settings.sessionTtlSeconds,
    now: new Date(),
  });
  // The token travels in the fragment: browsers never send it to a server, log it or put it in a Referer.
  return { record, url: `${settings.publicUrl}/portal/login#${linkToken}` };
}
