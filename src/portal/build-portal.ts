/**
 * Builds the tenant portal (src/portal/ui) into dist/portal-assets with esbuild: one script and one stylesheet,
 * nothing fetched from a CDN or an outside font, so the portal works on a network with no way out.
 */
import path from 'node:path';
import { build } from 'esbuild';
import { PORTAL_ASSETS_DIR } from './portal-static';

const UI_DIR = path.resolve(__dirname, 'ui');

export async function buildPortal(outDir = PORTAL_ASSETS_DIR): Promise<void> {
  await build({
    entryPoints: { portal: path.join(UI_DIR, 'main.tsx') },
    outdir: outDir,
    bundle: true,
    format: 'esm',
    target: 'es2020',
    minify: true,
    sourcemap: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'linked',
    logLevel: 'warning',
  });
}
