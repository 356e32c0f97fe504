/**
 * The training pipeline at scale on the local cloud: --customers simulated customers x --days
 * are written to the lakehouse as raw Parquet (a backfill: streaming 100k customers' history
 * through the local Kinesis would take hours and measure the emulator), their profiles and
 * outcomes as datasets, then `statemachines/train.asl.json` runs end to end (snapshots per hash
 * bucket, the three components, stack, gate, register, promote). Prints the wall time of each
 * state (Map iterations and parallel branches are also given summed) and ends with JSON:
 * {bench, customers, seconds, states}.
 *
 *   npm run bench -- pipeline [--customers 100000] [--days 150] [--seed 5] [--snapshots 3]
 */
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { S3Lakehouse } from '../functions/shared/lakehouse.js';
import { lakehouseBucket } from '../infra/resources.js';
import { startLocalCloud } from '../local/cloud/local-cloud.js';
import { localTrainingMachine } from '../local/wiring/training.js';
import { addDays } from '../ml/features/index.js';
import { importLabels, importProfiles, readImportRows } from '../ml/import/index.js';
import { type Event, parseEventJson } from '../ml/schema/index.js';
import { labelsCsv, profilesCsv, runSimulation } from '../ml/simulate/index.js';
import { wholeNumber } from './lib/args.js';

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '100000' },
    days: { type: 'string', default: '150' },
    seed: { type: 'string', default: '5' },
    snapshots: { type: 'string', default: '3' },
  },
});
const customers = wholeNumber('customers', args.customers);
const days = wholeNumber('days', args.days);
const seed = wholeNumber('seed', args.seed);
const log = (text: string): void => {
  process.stderr.write(`${text}\n`);
};
const began = performance.now();
const since = (from: number): string => `${((performance.now() - from) / 1000).toFixed(0)} s`;

const cloud = await startLocalCloud();
try {
  const lakehouse = new S3Lakehouse(cloud.clients.s3, cloud.names.buckets[lakehouseBucket.id] as string);
  const start = addDays(new Date().toISOString().slice(0, 10), -(days + 1));
  log(
    `simulating ${customers.toLocaleString('en-US')} customers x ${days} days into the lakehouse (backfill)`,
  );
  let written = 0;
  const result = await runSimulation(
    { customers, days, seed, start },
    {
      onDay: async (day) => {
        const events: Event[] = [];
        for (const line of day.jsonl.toString('utf8').split('\n')) {
          if (line === '') continue;
          const parsed = parseEventJson(line);
          if (!parsed.ok) throw new Error(parsed.reason);
          events.push(parsed.event);
        }
        await lakehouse.writeEvents(events, { fileName: `backfill-${day.day}`, source: 'import' });
        written += events.length;
        if (day.day % 15 === 14)
          log(`  day ${day.day + 1}/${days}: ${written.toLocaleString('en-US')} events (${since(began)})`);
      },
    },
  );
  const profiles = await importProfiles(
    readImportRows(Readable.from([Buffer.from(profilesCsv(result))]), { name: 'profiles.csv' }),
  );
  await lakehouse.writeProfiles('simulated', profiles.accepted, 'profiles');
  const labels = await importLabels(
    readImportRows(Readable.from([Buffer.from(labelsCsv(result))]), { name: 'labels.csv' }),
    {
      asOf: `${addDays(start, days)}T00:00:00Z`,
    },
  );
  await lakehouse.writeLabels('simulated', labels.accepted, 'labels');
  const loadSeconds = (performance.now() - began) / 1000;
  log(
    `loaded ${written.toLocaleString('en-US')} events in ${loadSeconds.toFixed(0)} s; running the training state machine`,
  );

  const machine = localTrainingMachine(cloud, { log: (line) => log(`  ${line} (${since(began)})`) });
  const runBegan = performance.now();
  const execution = await machine.run({
    trigger: 'bench',
    profilesDataset: 'simulated',
    labelsDataset: 'simulated',
    graceDays: 0,
    trainSnapshots: wholeNumber('snapshots', args.snapshots),
  });
  const seconds = (performance.now() - runBegan) / 1000;
  if (execution.status !== 'SUCCEEDED')
    throw new Error(`execution ${execution.status}: ${execution.error} ${execution.cause}`);

  // Top-level states run one after the other: their durations are wall time. Map iterations and
  // parallel branches overlap: their sums are work, not wall time.
  const nested = new Set([
    'SnapshotBucket',
    'ChooseGbdtRunner',
    'ChooseSequenceRunner',
    'ChooseGraphRunner',
    'TrainGbdt',
    'TrainSequence',
    'TrainGraph',
  ]);
  const states: Record<string, number> = {};
  const work: Record<string, number> = {};
  for (const [state, ms] of Object.entries(execution.stateDurations)) {
    (nested.has(state) ? work : states)[state] = Number((ms / 1000).toFixed(1));
  }
  process.stdout.write(
    `\ntraining state machine on ${customers.toLocaleString('en-US')} customers (${written.toLocaleString('en-US')} events):\n`,
  );
  for (const [state, s] of Object.entries(states))
    process.stdout.write(`  ${state.padEnd(20)} ${s.toFixed(1).padStart(8)} s\n`);
  process.stdout.write(
    `  ${'total'.padEnd(20)} ${seconds.toFixed(1).padStart(8)} s\n  inside Map/Parallel (summed): ${Object.entries(
      work,
    )
      .map(([state, s]) => `${state} ${s} s`)
      .join(', ')}\n`,
  );
  process.stdout.write(`  (not counted: loading the lakehouse ${loadSeconds.toFixed(0)} s)\n`);
  process.stdout.write(
    `${JSON.stringify({ bench: 'pipeline', customers, events: written, seconds: Number(seconds.toFixed(1)), states, work_seconds: work, load_seconds: Number(loadSeconds.toFixed(1)) })}\n`,
  );
} finally {
  await cloud.stop();
}
