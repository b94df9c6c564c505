/** Liveness and readiness: /healthz and /readyz report whether Temporal and the store answer. */
import { Router } from 'express';

export interface HealthDeps {
  checks: Record<string, () => Promise<void>>;
  timeoutMs?: number;
}

async function runCheck(check: () => Promise<void>, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return 'ok';
  } catch (err) {
    return `error: ${err instanceof Error ? err.message : 'unreachable'}`;
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(deps: HealthDeps): Router {
  const router = Router();
  const report = async () => {
    const entries = Object.entries(deps.checks);
    const results = await Promise.all(entries.map(([, check]) => runCheck(check, deps.timeoutMs ?? 3000)));
    const checks = Object.fromEntries(entries.map(([name], i) => [name, results[i]]));
    const ok = results.every((r) => r === 'ok');
    return { ok, checks };
  };
  // Liveness: the process answers, so 200; the dependencies are reported for humans, not enforced.
  router.get('/healthz', async (_req, res) => {
    const { ok, checks } = await report();
    res.status(200).json({ status: ok ? 'ok' : 'degraded', checks });
  });
  // Readiness: 503 while Temporal or the store is unreachable, so load balancers send traffic elsewhere.
  router.get('/readyz', async (_req, res) => {
    const { ok, checks } = await report();
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'degraded', checks });
  });
  return router;
}
