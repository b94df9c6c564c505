/** Liveness and readiness: /healthz and /readyz report whether Temporal and the store answer. */
import { Router, type RequestHandler } from 'express';

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
  const report: RequestHandler = async (_req, res) => {
    const entries = Object.entries(deps.checks);
    const results = await Promise.all(entries.map(([, check]) => runCheck(check, deps.timeoutMs ?? 3000)));
    const checks = Object.fromEntries(entries.map(([name], i) => [name, results[i]]));
    const ok = results.every((r) => r === 'ok');
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'degraded', checks });
  };
  router.get('/healthz', report);
  router.get('/readyz', report);
  return router;
}
