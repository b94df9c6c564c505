/** Summarizes a V8 .cpuprofile (node --cpu-prof): self time per function, the heaviest first. */
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** One summary per thread: node writes a profile for the main thread and one for each worker thread. */
export function topSelfTimeByThread(
  dir: string,
  limit = 12,
): { file: string; top: { fn: string; percent: number }[] }[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()
    .map((file) => ({ file, top: topSelfTimeOf(path.join(dir, file), limit) }));
}

function topSelfTimeOf(file: string, limit: number): { fn: string; percent: number }[] {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map<string, number>();
  for (const id of profile.samples) {
    const frame = byId.get(id)?.callFrame;
    const where = frame?.url
      ? `${frame.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/')}:${frame.lineNumber + 1}`
      : '';
    const key = `${frame?.functionName || '(anonymous)'} ${where}`.trim();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const total = profile.samples.length || 1;
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([fn, n]) => ({ fn, percent: +((100 * n) / total).toFixed(1) }));
}
