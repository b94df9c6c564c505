/**
 * The CAs the sender trusts: Node's bundled roots, the operating system's bundle, plus NODE_EXTRA_CA_CERTS.
 * The extra CA is added to the defaults, never substituted for them, so public endpoints keep working.
 * (Node 20 has no API for the system store, so its PEM bundle is read from the usual places.)
 */
import fs from 'node:fs';
import tls from 'node:tls';

const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];

export function trustedCertificates(options: {
  extraCaFiles?: (string | undefined)[];
  systemBundle?: string;
}): string[] {
  const cas = [...tls.rootCertificates];
  const system = options.systemBundle ?? SYSTEM_BUNDLES.find((file) => fs.existsSync(file));
  if (system && fs.existsSync(system)) cas.push(fs.readFileSync(system, 'utf8'));
  for (const file of options.extraCaFiles ?? []) if (file) cas.push(fs.readFileSync(file, 'utf8'));
  return cas;
}
