/**
 * npm run chaos: the full fault-injection run (flags: --events 60 --webhooks 3 --kills 20 --workers 1
 * --store sqlite|postgresql|auto). With --workers N, each worker fault SIGKILLs one of N workers at random.
 */
import { parseArgs } from 'node:util';
import { chaosTable, runChaos } from './lib/chaos-run';
import { parseStoreChoice } from './lib/harness';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '60' },
    webhooks: { type: 'string', default: '3' },
    kills: { type: 'string', default: '20' },
    workers: { type: 'string', default: '1' },
    store: { type: 'string', default: 'sqlite' },
  },
});

runChaos({
  events: Number(values.events),
  webhooks: Number(values.webhooks),
  workerKills: Number(values.kills),
  workers: Number(values.workers),
  store: parseStoreChoice(values.store),
  restartTemporal: true,
  restartStore: true,
  receiverDownMs: 5_000,
  pauseResumeToggles: 10,
  terminateDelivery: true,
  say: (m) => console.log(`[chaos] ${m}`),
})
  .then((report) => {
    console.log(
      `\nnpm run chaos -- --events ${values.events} --webhooks ${values.webhooks} --kills ${values.kills} --workers ${values.workers} --store ${values.store}  (${report.seconds} s)\n`,
    );
    console.log(chaosTable(report));
    if (report.lost > 0 || report.notSucceeded > 0 || report.attemptGaps > 0 || report.stillRunning > 0)
      process.exitCode = 1;
  })
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
