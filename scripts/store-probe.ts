/**
 * npm run store-probe: what one hot-path command costs the local FerretDB as a collection grows, by command
 * shape (the engine's: find, insert and conditional updates by `_id`, the bulk upsert of delivery records).
 * Starts its own FerretDB on --store sqlite|postgresql (FERRETDB_POSTGRESQL_URL or the local server), times
 * each shape --repeat times in a collection of 100 documents and of --docs, and prints a table.
 */
import { parseArgs } from 'node:util';
import { MongoClient, type Collection } from 'mongodb';
import { startScratchFerretDb } from './lib/scratch-store';

const { values: flags } = parseArgs({
  options: {
    docs: { type: 'string', default: '20000' },
    repeat: { type: 'string', default: '20' },
    store: { type: 'string', default: 'sqlite' },
  },
});

type Doc = { _id: string; status: string; attemptCount: number; webhookId: string; y?: number; a?: number };
const SHAPES: [string, (c: Collection<Doc>, i: number) => Promise<unknown>][] = [
  ['findOne {_id}', (c, i) => c.findOne({ _id: `d${i}` })],
  ['insertOne', (c, i) => c.insertOne({ _id: `new${i}`, status: 'x', attemptCount: 0, webhookId: 'w' })],
  // Each update changes its document (a no-op update costs less), each on documents of its own.
  ['updateOne {_id}', (c, i) => c.updateOne({ _id: `d${i}` }, { $set: { y: i + 1 } })],
  [
    'updateOne {_id, attemptCount $lte}',
    (c, i) => c.updateOne({ _id: `d${i + 50}`, attemptCount: { $lte: 1 } }, { $set: { y: i + 1 } }),
  ],
  [
    'bulkWrite upsert {_id} $setOnInsert',
    (c, i) =>
      c.bulkWrite([{ updateOne: { filter: { _id: `up${i}` }, update: { $setOnInsert: { a: 1 } }, upsert: true } }]),
  ],
];

async function fill(c: Collection<Doc>, count: number): Promise<void> {
  for (let start = 0; start < count; start += 1000) {
    const batch: Doc[] = [];
    for (let i = start; i < Math.min(count, start + 1000); i++)
      batch.push({ _id: `d${i}`, status: 'succeeded', attemptCount: 1, webhookId: `w${i % 10}` });
    await c.insertMany(batch);
  }
}

async function timeShapes(c: Collection<Doc>, repeat: number): Promise<number[]> {
  const result: number[] = [];
  for (const [, run] of SHAPES) {
    const t0 = performance.now();
    for (let i = 0; i < repeat; i++) await run(c, i);
    result.push((performance.now() - t0) / repeat);
  }
  return result;
}

async function main(): Promise<void> {
  const docs = Number(flags.docs);
  const repeat = Number(flags.repeat);
  const ferret = await startScratchFerretDb(flags.store, 'docflo-store-probe-');
  const client = await MongoClient.connect(ferret.uri);
  const db = client.db(`store_probe_${process.pid}`);
  try {
    const small = db.collection<Doc>('small');
    await fill(small, 100);
    const large = db.collection<Doc>('large');
    await fill(large, docs);
    const [a, b] = [await timeShapes(small, repeat), await timeShapes(large, repeat)];
    console.log(`\nFerretDB on ${ferret.backend}: ms per command (mean of ${repeat})\n`);
    console.log(`| command | 100 documents | ${docs} documents |`);
    console.log('| --- | ---: | ---: |');
    SHAPES.forEach(([name], i) => console.log(`| ${name} | ${a[i]?.toFixed(1)} | ${b[i]?.toFixed(1)} |`));
  } finally {
    await db.dropDatabase().catch(() => undefined);
    await client.close();
    await ferret.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
