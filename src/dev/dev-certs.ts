/** A development certificate authority and a certificate for 127.0.0.1, made once under the data folder. */
import fs from 'node:fs';
import path from 'node:path';
import { createCA, createCert } from 'mkcert';

export interface DevCerts {
  caFile: string;
  cert: string;
  key: string;
}

export async function ensureDevCerts(dataDir: string): Promise<DevCerts> {
  const dir = path.join(dataDir, 'dev-certs');
  const files = {
    ca: path.join(dir, 'ca.pem'),
    cert: path.join(dir, 'receiver.pem'),
    key: path.join(dir, 'receiver-key.pem'),
  };
  if (!fs.existsSync(files.key)) {
    fs.mkdirSync(dir, { recursive: true });
    const ca = await createCA({
      organization: 'Docflo Webhooks dev CA',
      countryCode: 'US',
      state: 'Dev',
      locality: 'Dev',
      validity: 825,
    });
    const cert = await createCert({ ca, domains: ['127.0.0.1', 'localhost'], validity: 825 });
    fs.writeFileSync(files.ca, ca.cert);
    fs.writeFileSync(files.cert, cert.cert);
    fs.writeFileSync(files.key, cert.key, { mode: 0o600 });
  }
  return { caFile: files.ca, cert: fs.readFileSync(files.cert, 'utf8'), key: fs.readFileSync(files.key, 'utf8') };
}
