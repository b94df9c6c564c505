/** docs/grafana-dashboard.json imports as is: a Grafana export whose every query names a metric we export. */
import fs from 'node:fs';
import path from 'node:path';
import { createApiMetrics, createWorkerMetrics } from '../../src/metrics/metrics';

interface Panel {
  title: string;
  datasource: { uid: string };
  targets: { expr: string }[];
}

test('every panel queries the Prometheus input and only metrics the engine exports', async () => {
  const dashboard = JSON.parse(fs.readFileSync(path.join(__dirname, '../../docs/grafana-dashboard.json'), 'utf8')) as {
    __inputs: { name: string; pluginId: string }[];
    uid: string;
    panels: Panel[];
  };
  expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', pluginId: 'prometheus' })]);
  const exported = new Set<string>();
  for (const registry of [createWorkerMetrics().registry, createApiMetrics().registry]) {
    for (const metric of await registry.getMetricsAsJSON()) exported.add(metric.name);
  }
  const titles = dashboard.panels.map((p) => p.title).join(' | ');
  for (const wanted of ['Deliveries finished', 'Failure rate', 'p50 and p99', 'Backlog'])
    expect(titles).toContain(wanted);
  for (const panel of dashboard.panels) {
    expect(panel.datasource.uid).toBe('${DS_PROMETHEUS}');
    expect(panel.targets.length).toBeGreaterThan(0);
    for (const { expr } of panel.targets) {
      const names = [...expr.matchAll(/docflo_\w+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, ''));
      expect(names.length).toBeGreaterThan(0);
      for (const name of names)
        expect({ panel: panel.title, name, exported: exported.has(name) }).toMatchObject({ exported: true });
    }
  }
});
