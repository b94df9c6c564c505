/**
 * npm run chaos: the full fault-injection run (flags: --events 60 --webhooks 3 --kills 20 --workers 1
 * --store sqlite|postgresql|auto --ordered-documents 10). With --workers N, each worker fault SIGKILLs one of N
 * workers at random. The last webhook keeps each document's order (`ordering: document`; 0 turns it off).
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
    'ordered-documents': { type: 'string', default: '10' },
    ordering: { type: 'string', default: 'document' },
  },
});

if (values.ordering !== 'document' && values.ordering !== 'webhook') {
  console.error(`--ordering must be document or webhook, not ${values.ordering}`);
  process.exit(2);
}

runChaos({
  events: Number(values.events),
  webhooks: Number(values.webhooks),
  workerKills: Number(values.kills),
  workers: Number(values.workers),
  store: parseStoreChoice(values.store),
  orderedDocuments: Number(values['ordered-documents']),
  ordering: values.ordering,
  restartTemporal: true,
  restartStore: true,
  receiverDownMs: 5_000,
  pauseResumeToggles: 10,
  terminateDelivery: true,
  say: (m) => console.log(`[chaos] ${m}`),
})
  .then((report) => {
    console.log(
      `\nnpm run chaos -- --events ${values.events} --webhooks ${values.webhooks} --kills ${values.kills} --workers ${values.workers} --store ${values.store} --ordered-documents ${values['ordered-documents']} --ordering ${values.ordering}  (${report.seconds} s)\n`,
    );
    console.log(chaosTable(report));
    if (
      report.lost > 0 ||
      report.notSucceeded > 0 ||
      report.attemptGaps > 0 ||
      report.stillRunning > 0 ||
      report.outOfOrder > 0
    )
      process.exitCode = 1;
  })
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
