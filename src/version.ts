/** The engine's version, sent in the User-Agent; a unit test keeps it equal to package.json's. */
export const ENGINE_VERSION = '0.1.0';
export const USER_AGENT = `Docflo-Webhooks/${ENGINE_VERSION}`;
