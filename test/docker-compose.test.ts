/** There is no Docker engine here: the compose file is checked by parsing it and reading its shape. */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

interface Compose {
  services: Record<
    string,
    {
      image?: string;
      build?: string;
      environment?: Record<string, string>;
      ports?: string[];
      container_name?: string;
      deploy?: { replicas?: number };
    }
  >;
}

const root = path.resolve(__dirname, '..');

test('docker-compose.yml parses and has Temporal on PostgreSQL, its UI, MongoDB, the API and scalable workers', () => {
  const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as Compose;
  const { services } = compose;
  expect(Object.keys(services).sort()).toEqual(['api', 'mongodb', 'postgresql', 'temporal', 'temporal-ui', 'worker']);
  expect(services.temporal?.environment?.DB).toBe('postgres12');
  expect(services['temporal-ui']?.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
  for (const role of ['api', 'worker']) {
    const env = services[role]?.environment ?? {};
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(env.MONGODB_URI).toBe('mongodb://mongodb:27017');
    expect(services[role]?.build).toBe('.');
  }
  expect(services.worker?.container_name).toBeUndefined(); // a fixed name would forbid --scale
  expect(services.worker?.deploy?.replicas).toBeGreaterThan(1);
});

test('the Dockerfile builds the pre-bundled workflows and runs the compiled entry points', () => {
  const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  expect(dockerfile).toContain('npm run build');
  expect(dockerfile).toMatch(/CMD \["node", "dist\/server\.js"\]/);
  for (const entry of ['dist/server.js', 'dist/worker.js'])
    expect(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')).toContain(entry);
});
