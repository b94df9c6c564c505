/** npm run build:portal: the tenant portal's page assets into dist/portal-assets. */
import { buildPortal } from '../src/portal/build-portal';

buildPortal().then(
  () => console.log('portal built: dist/portal-assets'),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
