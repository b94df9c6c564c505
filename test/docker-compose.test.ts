/**
 * There is no Docker engine here: the compose file is checked by parsing it and reading its shape, against
 * the config schema itself (the variables each production entry point requires).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { requiredVariables, type EntryPoint } from '../src/config';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  container_name?: string;
  deploy?: { replicas?: number };
}

const root = path.resolve(__dirname, '..');
const composeText = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
const { services } = parse(composeText, { merge: true }) as { services: Record<string, Service> };

const ENTRY_POINTS: Record<string, EntryPoint> = { 'dist/server.js': 'api', 'dist/worker.js': 'worker' };

test('every variable a production entry point requires is passed to the service that runs it', () => {
  const runners = Object.entries(services).flatMap(([name, service]) => {
    const entry = service.command?.find((part) => part in ENTRY_POINTS);
    const entryPoint = entry === undefined ? undefined : ENTRY_POINTS[entry];
    return entryPoint ? [{ name, service, entryPoint }] : [];
  });
  expect(runners.map((r) => `${r.name}:${r.entryPoint}`).sort()).toEqual(['api:api', 'worker:worker']);
  for (const { name, service, entryPoint } of runners) {
    const required = requiredVariables(entryPoint);
    expect(required.length).toBeGreaterThan(0);
    for (const variable of required) {
      const value = service.environment?.[variable];
      expect({ service: name, variable, set: typeof value === 'string' && value.length > 0 }).toEqual({
        service: name,
        variable,
        set: true,
      });
      // Secrets come from the user's environment, refused with a message when missing; never a default.
      if (/KEY/.test(variable)) expect(value).toMatch(new RegExp(`^\\$\\{${variable}:\\?.+\\}$`));
    }
  }
});

test('Temporal runs as temporalio/server on PostgreSQL after a one-shot admin-tools schema setup; images pinned', () => {
  for (const [name, service] of Object.entries(services)) {
    if (!service.image) continue;
    // A tag that starts with a digit: a release, never `latest` or a moving name.
    expect(`${name} ${service.image}`).toMatch(/^[\w-]+ [\w./-]+:\d[\w.-]*$/);
    expect(service.image).not.toMatch(/auto-setup/);
  }
  expect(services.temporal?.image).toMatch(/^temporalio\/server:/);
  expect(services.temporal?.environment?.DB).toBe('postgres12');
  expect(services.temporal?.depends_on?.['temporal-schema']?.condition).toBe('service_completed_successfully');
  expect(services['temporal-schema']?.image).toMatch(/^temporalio\/admin-tools:/);
  for (const oneShot of ['temporal-schema', 'temporal-namespace']) {
    const script = services[oneShot]?.volumes?.[0]?.split(':')[0] ?? '';
    expect(fs.existsSync(path.join(root, script))).toBe(true);
  }
  expect(services['temporal-ui']?.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
  for (const role of ['api', 'worker']) {
    expect(services[role]?.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(services[role]?.environment?.MONGODB_URI).toBe('mongodb://mongodb:27017');
    expect(services[role]?.build).toBe('.');
    expect(services[role]?.depends_on?.['temporal-namespace']?.condition).toBe('service_completed_successfully');
  }
  expect(services.worker?.container_name).toBeUndefined(); // a fixed name would forbid --scale
  expect(services.worker?.deploy?.replicas).toBeGreaterThan(1);
});

test("the README's compose command sets every variable the compose file requires from the environment", () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const line = readme.split('\n').find((l) => l.includes('docker compose up'));
  const fromEnvironment = [...composeText.matchAll(/\$\{(\w+):\?/g)].map((m) => m[1]);
  expect(new Set(fromEnvironment)).toEqual(new Set(['SECRETS_KEY', 'ADMIN_API_KEY', 'PLATFORM_API_KEY']));
  for (const variable of fromEnvironment) expect(line).toContain(`${variable}=`);
});

test('the Dockerfile builds the pre-bundled workflows and runs the compiled entry points', () => {
  const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  expect(dockerfile).toContain('npm run build');
  expect(dockerfile).toMatch(/CMD \["node", "dist\/server\.js"\]/);
  for (const entry of ['dist/server.js', 'dist/worker.js']) expect(composeText).toContain(entry);
});
