/**
 * Serves the portal's page and its built assets (dist/portal-assets, made by build-portal.ts) under a strict
 * Content-Security-Policy: scripts, styles and connections from this origin only, no inline script or style,
 * and framed only by PORTAL_FRAME_ANCESTORS.
 */
import fs from 'node:fs';
import path from 'node:path';
import express, { Router, type RequestHandler } from 'express';
import helmet from 'helmet';

export const PORTAL_ASSETS_DIR = path.resolve(__dirname, '..', '..', 'dist', 'portal-assets');

/** The page every portal address shows; the app routes itself from the fragment. */
const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Webhooks · Docflo</title>
    <link rel="stylesheet" href="/portal/assets/portal.css" />
    <script type="module" src="/portal/assets/portal.js"></script>
  </head>
  <body>
    <div id="app"><p class="loading">Loading…</p></div>
    <noscript>The webhooks portal needs JavaScript.</noscript>
  </body>
</html>
`;

export function portalSecurityHeaders(frameAncestors: string[]): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        // A logo chosen by the session's creator may be on any https:// host.
        imgSrc: ["'self'", 'data:', 'https:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        formAction: ["'self'"],
        baseUri: ["'none'"],
        frameAncestors: frameAncestors.length > 0 ? frameAncestors : ["'none'"],
      },
    },
    // frame-ancestors decides framing; X-Frame-Options cannot name origins, so it is only sent when none may.
    xFrameOptions: frameAncestors.length > 0 ? false : { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginOpenerPolicy: false,
    strictTransportSecurity: false,
  });
}

export function portalRouter(options: { frameAncestors: string[]; assetsDir?: string }): Router {
  const dir = options.assetsDir ?? PORTAL_ASSETS_DIR;
  const router = Router();
  router.use('/portal', portalSecurityHeaders(options.frameAncestors));
  router.use('/portal/assets', express.static(dir, { index: false, fallthrough: false, maxAge: '5m' }));
  router.get(['/portal', '/portal/', '/portal/login'], (_req, res) => {
    if (!fs.existsSync(path.join(dir, 'portal.js'))) {
      res.status(503).type('text/plain').send('The portal is not built: run npm run build:portal');
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(PAGE);
  });
  return router;
}
