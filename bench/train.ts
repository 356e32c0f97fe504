/**
 * Full hybrid training at scale: --customers simulated customers (default 100,000) x --days,
 * snapshots at the --train cut-offs, then `trainHybrid` with every component (customer folds,
 * out-of-fold stacking, calibration, refits). Figures: training wall time (goal: under 10
 * minutes on 2 cores; simulation and snapshot building are reported apart) and the process's
 * peak resident memory. The reference is the goal itself: no other system trains this model.
 *
 *   npm run bench -- train [--customers 100000] [--days 150] [--train 90,105,120] [--folds 3] [--seed 7]
 *
 * The last line is JSON: {bench, customers, seconds, peak_rss_mb, ...}.
 */
import { parseArgs } from 'node:util';
import { addDays } from '../ml/features/index.js';
import { trainHybrid } from '../ml/models/hybrid/index.js';
import { simulatedExamples, simulateHistories } from '../ml/simulate/histories.js';
import { wholeNumber } from './lib/args.js';

const GOAL_SECONDS = 600;
const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '100000' },
    days: { type: 'string', default: '150' },
    train: { type: 'string', default: '90,105,120' },
    folds: { type: 'string', default: '3' },
    seed: { type: 'string', default: '7' },
  },
});
const customers = wholeNumber('customers', args.customers);
const days = wholeNumber('days', args.days);
const seed = wholeNumber('seed', args.seed);
const cutoffs = (args.train ?? '').split(',').map((text) => wholeNumber('train', text));
if (cutoffs.some((day) => day + 30 > days))
  throw new Error(`every --train cut-off + 30 days must fit in --days ${days}`);

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 200);
sampler.unref();
const log = (text: string): void => {
  process.stderr.write(`${text}\n`);
};
const began = performance.now();
const since = (from: number): number => (performance.now() - from) / 1000;

log(`simulating ${customers.toLocaleString('en-US')} customers x ${days} days (seed ${seed})`);
const { result, histories, labels } = simulateHistories({ customers, days, seed }, (day, total) => {
  if (day % 30 === 0) log(`  day ${day}/${total} (${since(began).toFixed(0)} s)`);
});
const simulateSeconds = since(began);
const snapshotsBegan = performance.now();
const examples = cutoffs.flatMap((day) =>
  simulatedExamples(histories, labels, addDays(result.options.start, day)),
);
const snapshotSeconds = since(snapshotsBegan);
log(`${examples.length.toLocaleString('en-US')} snapshot rows in ${snapshotSeconds.toFixed(0)} s; training`);

const rssBeforeTraining = process.memoryUsage().rss;
const trainBegan = performance.now();
const training = await trainHybrid(
  examples,
  { folds: wholeNumber('folds', args.folds), seed },
  {
    onProgress: ({ stage, message }) => log(`  [${stage}] ${message} (${since(trainBegan).toFixed(0)} s)`),
  },
);
const trainSeconds = since(trainBegan);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
clearInterval(sampler);

const rows = training.outOfFold.labels.length;
process.stdout.write(
  `\nhybrid training on ${customers.toLocaleString('en-US')} customers (${rows.toLocaleString('en-US')} labelled rows, ${cutoffs.length} cut-offs):\n` +
    `  training wall time   ${trainSeconds.toFixed(1)} s (goal < ${GOAL_SECONDS} s: ${trainSeconds < GOAL_SECONDS ? 'met' : 'NOT met'})\n` +
    `  by stage             ${Object.entries(training.seconds)
      .map(([stage, seconds]) => `${stage} ${seconds.toFixed(1)} s`)
      .join(', ')}\n` +
    `  out-of-fold AUC      ${Object.entries(training.outOfFold.auc)
      .map(([name, auc]) => `${name} ${auc.toFixed(4)}`)
      .join(', ')}\n` +
    `  peak RSS             ${(peakRss / 2 ** 20).toFixed(0)} MB (${(rssBeforeTraining / 2 ** 20).toFixed(0)} MB before training: the simulated histories and snapshots)\n` +
    `  (not counted: simulation ${simulateSeconds.toFixed(0)} s, snapshots ${snapshotSeconds.toFixed(0)} s)\n`,
);
process.stdout.write(
  `${JSON.stringify({
    bench: 'train',
    customers,
    rows,
    seconds: Number(trainSeconds.toFixed(1)),
    peak_rss_mb: Math.round(peakRss / 2 ** 20),
    rss_before_training_mb: Math.round(rssBeforeTraining / 2 ** 20),
    goal_seconds: GOAL_SECONDS,
    stage_seconds: Object.fromEntries(
      Object.entries(training.seconds).map(([stage, s]) => [stage, Number(s.toFixed(1))]),
    ),
    out_of_fold_auc: Object.fromEntries(
      Object.entries(training.outOfFold.auc).map(([name, auc]) => [name, Number(auc.toFixed(4))]),
    ),
    simulate_seconds: Number(simulateSeconds.toFixed(1)),
    snapshot_seconds: Number(snapshotSeconds.toFixed(1)),
  })}\n`,
);
training.model.dispose();
