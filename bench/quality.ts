/**
 * Model quality on a simulator time split, next to the simulator's oracle, in one run:
 *
 * 1. simulate --customers x --days (in memory, through the event and profile contracts);
 * 2. point-in-time snapshots at the --train cut-offs (days from the start) for training and at
 *    --test for the holdout, 30-day label window (as_of = oracle cut-off + 1, so both look at the
 *    same 30 days);
 * 3. train the hybrid (gradient boosting + sequence network + graph network, stacked out of fold,
 *    calibrated, threshold from the business costs) and score the holdout;
 * 4. lead time: the holdout's churners (and their neighbourhood, for the graph part) are scored
 *    every --lead-step days from 30 days before the test cut-off to their churn date, as the daily
 *    batch scoring would; lead time = churn date - first day at or above the threshold;
 * 5. Telco customer churn (shared/data, profiles only): 5-fold stratified CV of the boosting part.
 *
 * Goals (issue 5): ROC-AUC >= 0.85 and >= 0.95 x oracle; precision >= 0.75 and recall >= 0.65 at
 * the threshold; median lead time >= 14 days; stack >= boosting alone + 0.01; Telco CV >= 0.845.
 * The oracle's own precision at the same recall is printed: no model can beat it.
 *
 *   npm run bench -- quality [--customers 50000] [--days 180] [--seed 11] [--train 90,105,120]
 *                            [--test 150] [--folds 3] [--lead-step 2] [--out out/quality]
 *
 * Writes the model artifact and its HTML report under --out. The last line is JSON.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderModelReport } from '../ml/eval/html-report.js';
import { leadTimes, rocAuc, type ScoreOnDay } from '../ml/eval/index.js';
import { summariseDrivers } from '../ml/explain/index.js';
import { addDays } from '../ml/features/index.js';
import { foldRows, selectRows, stratifiedFolds } from '../ml/models/gbdt/folds.js';
import { parseTelcoCsv } from '../ml/models/gbdt/telco.js';
import { trainGbdt } from '../ml/models/gbdt/train.js';
import {
  evaluateHybrid,
  formatEvaluation,
  modelToFiles,
  trainHybrid,
  writeArtifactDirectory,
} from '../ml/models/hybrid/index.js';
import { type SimulatedExample, simulatedExamples, simulateHistories } from '../ml/simulate/histories.js';
import { wholeNumber } from './lib/args.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '50000' },
    days: { type: 'string', default: '180' },
    seed: { type: 'string', default: '11' },
    train: { type: 'string', default: '90,105,120' },
    test: { type: 'string', default: '150' },
    folds: { type: 'string', default: '3' },
    'lead-step': { type: 'string', default: '2' },
    out: { type: 'string', default: 'out/quality' },
    'skip-telco': { type: 'boolean', default: false },
  },
});

const customers = wholeNumber('customers', args.customers);
const days = wholeNumber('days', args.days);
const seed = wholeNumber('seed', args.seed);
const trainDays = (args.train ?? '').split(',').map((text) => wholeNumber('train', text));
const testDay = wholeNumber('test', args.test);
const leadStep = wholeNumber('lead-step', args['lead-step']);
const HORIZON = 30;
if (testDay + HORIZON > days)
  throw new Error(`--test ${testDay} + ${HORIZON}-day window must fit in --days ${days}`);
if (trainDays.some((day) => day + HORIZON > testDay))
  throw new Error(`every --train cut-off's window must end by --test ${testDay}: ${trainDays.join(',')}`);

const log = (text: string): void => {
  process.stderr.write(`${text}\n`);
};
const began = performance.now();
const elapsed = (): string => `${((performance.now() - began) / 1000).toFixed(0)} s`;

log(`simulating ${customers.toLocaleString('en-US')} customers x ${days} days (seed ${seed})`);
// The oracle scores everyone the day before the test cut-off (and at its default cut-offs).
const oracleCutoffs = [
  ...new Set([
    testDay - 1,
    ...Array.from({ length: Math.floor((days - HORIZON) / 30) }, (_, i) => 30 * (i + 1)),
  ]),
].sort((a, b) => a - b);
const { result, histories, labels } = simulateHistories(
  { customers, days, seed, cutoffs: oracleCutoffs },
  (day, total) => {
    if (day % 30 === 0) log(`  day ${day}/${total} (${elapsed()})`);
  },
);
const start = result.options.start;
const asOf = (day: number): string => addDays(start, day);

log(`snapshots: train as of days ${trainDays.join(', ')}; test as of day ${testDay} (${elapsed()})`);
const trainExamples = trainDays.flatMap((day) => simulatedExamples(histories, labels, asOf(day), HORIZON));
const testExamples = simulatedExamples(histories, labels, asOf(testDay), HORIZON);

const training = await trainHybrid(
  trainExamples,
  { folds: wholeNumber('folds', args.folds), seed },
  {
    onProgress: ({ stage, message }) => log(`  [${stage}] ${message} (${elapsed()})`),
  },
);
const { model } = training;
log(
  `trained in ${Object.entries(training.seconds)
    .map(([stage, s]) => `${stage} ${s.toFixed(0)} s`)
    .join(', ')}`,
);

const { evaluation, scores } = await evaluateHybrid(model, testExamples);
const stackAuc = evaluation.report.rocAuc;
const gbdtAuc = evaluation.componentAuc.gbdt ?? Number.NaN;

// The oracle on the same 30 days: cut-off = as_of - 1.
const oracleScores: number[] = [];
const oracleLabels: number[] = [];
const { oracle } = result;
for (let index = 0; index < oracle.length; index++) {
  if (oracle.cutoff[index] !== testDay - 1) continue;
  oracleScores.push(oracle.probability[index] ?? 0);
  oracleLabels.push(oracle.label[index] ?? 0);
}
const oracleAuc = oracleScores.length > 0 ? rocAuc(oracleScores, oracleLabels) : Number.NaN;
/** Best precision the oracle reaches at a recall of at least `recall`. */
function oraclePrecisionAt(recall: number): number {
  const order = oracleScores
    .map((_, index) => index)
    .sort((a, b) => (oracleScores[b] ?? 0) - (oracleScores[a] ?? 0));
  const positives = oracleLabels.reduce((sum, label) => sum + label, 0);
  let tp = 0;
  for (let rank = 0; rank < order.length; rank++) {
    tp += oracleLabels[order[rank] ?? 0] ?? 0;
    if (tp / positives >= recall) return tp / (rank + 1);
  }
  return Number.NaN;
}

// Lead time: score the churners (with their 2-hop neighbourhood as graph context) day by day.
log(`lead time: scoring the holdout's churners every ${leadStep} days (${elapsed()})`);
const churnDates = new Map<string, string>();
testExamples.forEach((example) => {
  if (example.label === 1 && example.churn_date !== null) churnDates.set(example.user_id, example.churn_date);
});
const lastDay = asOf(days - 1);
const neighbourhood = new Set(churnDates.keys());
for (let hop = 0; hop < 2; hop++) {
  for (const example of simulatedExamples(
    histories.filter((history) => neighbourhood.has(history.userId)),
    new Map(),
    lastDay,
    1,
  ))
    for (const neighbour of example.neighbours) neighbourhood.add(neighbour);
}
const context = histories.filter((history) => neighbourhood.has(history.userId));
const scoreHistory: ScoreOnDay[] = [];
for (let day = testDay - HORIZON; day < testDay + HORIZON; day += leadStep) {
  const rows: SimulatedExample[] = simulatedExamples(context, labels, asOf(day), HORIZON);
  const dayScores = await model.score(rows);
  dayScores.forEach((score) => {
    if (churnDates.has(score.user_id))
      scoreHistory.push({ userId: score.user_id, day: score.as_of, score: score.churnProbability });
  });
}
const lead = leadTimes(scoreHistory, churnDates, model.decision.threshold);

// Telco: profiles only, 5-fold stratified CV of the boosting part.
let telcoCvAuc: number | null = null;
if (args['skip-telco'] !== true) {
  const telco = parseTelcoCsv(
    readFileSync(join(here, '..', '..', 'shared', 'data', 'telco-customer-churn.csv'), 'utf8'),
  );
  const folds = stratifiedFolds(telco.labels, 5, 7);
  const aucs: number[] = [];
  for (let fold = 0; fold < 5; fold++) {
    const { train, test } = foldRows(folds, fold);
    const gbdt = trainGbdt(selectRows(telco, train), { rounds: 200, learningRate: 0.05, maxDepth: 2 });
    const held = selectRows(telco, test);
    aucs.push(rocAuc(gbdt.predictProbability(held.values, held.rows), held.labels));
  }
  telcoCvAuc = aucs.reduce((sum, auc) => sum + auc, 0) / aucs.length;
}

// Artifact and report.
const outDirectory = resolve(args.out ?? 'out/quality');
const version = `bench-quality-${customers}-${seed}`;
const createdAt = new Date().toISOString();
const explained = await model.explain(testExamples.slice(0, 2000));
const drivers = summariseDrivers(explained.map((row) => row.evidence));
const reportHtml = renderModelReport({
  title: `churn-radar quality bench: ${customers.toLocaleString('en-US')} simulated customers`,
  modelVersion: version,
  createdAt,
  evaluation: evaluation.report,
  ablation: evaluation.ablation,
  featureImportance: drivers.features
    .slice(0, 20)
    .map((feature) => ({ name: feature.name, importance: feature.meanAbsContribution })),
  drivers,
  leadTime: lead,
  dataSummary: {
    'training rows': training.outOfFold.labels.length,
    'training cut-offs': trainDays.map(asOf).join(', '),
    'holdout cut-off': asOf(testDay),
    'oracle ROC-AUC': oracleAuc.toFixed(4),
  },
});
await writeArtifactDirectory(
  join(outDirectory, 'model'),
  await modelToFiles(model, version, createdAt, { metrics: evaluation, reportHtml }),
);

const goal = (ok: boolean): string => (ok ? 'met' : 'NOT met');
const recallAtThreshold = evaluation.atModelThreshold.recall;
const oraclePrecision = oraclePrecisionAt(recallAtThreshold);
process.stdout.write(
  `\nholdout (as of ${asOf(testDay)}), model trained on ${trainDays.map(asOf).join(', ')}:\n${formatEvaluation(evaluation)}\n\n`,
);
const lines: [string, string, string][] = [
  [
    'ROC-AUC',
    `${stackAuc.toFixed(4)} (oracle ${oracleAuc.toFixed(4)}, ratio ${(stackAuc / oracleAuc).toFixed(3)})`,
    `>= 0.85 and >= 0.95 x oracle: ${goal(stackAuc >= 0.85 && stackAuc >= 0.95 * oracleAuc)}`,
  ],
  [
    'boosting alone',
    `${gbdtAuc.toFixed(4)} (stack gain ${stackAuc - gbdtAuc >= 0 ? '+' : ''}${(stackAuc - gbdtAuc).toFixed(4)})`,
    `gain >= 0.01: ${goal(stackAuc - gbdtAuc >= 0.01)}`,
  ],
  [
    'precision at threshold',
    `${evaluation.atModelThreshold.precision.toFixed(3)} (oracle at the same recall: ${oraclePrecision.toFixed(3)})`,
    `>= 0.75: ${goal(evaluation.atModelThreshold.precision >= 0.75)}`,
  ],
  ['recall at threshold', recallAtThreshold.toFixed(3), `>= 0.65: ${goal(recallAtThreshold >= 0.65)}`],
  ['oracle precision at recall 0.65', oraclePrecisionAt(0.65).toFixed(3), 'the ceiling for any model'],
  [
    'lead time (median days)',
    `${lead.median ?? 'n/a'} (p25 ${lead.quantiles.p25 ?? 'n/a'}, p75 ${lead.quantiles.p75 ?? 'n/a'}; ${((lead.detectedShare ?? 0) * 100).toFixed(1)}% of churners flagged before churning)`,
    `>= 14: ${goal((lead.median ?? 0) >= 14)}`,
  ],
  [
    'Telco 5-fold CV ROC-AUC',
    telcoCvAuc === null ? 'skipped' : telcoCvAuc.toFixed(4),
    `>= 0.845: ${goal((telcoCvAuc ?? 0) >= 0.845)}`,
  ],
];
for (const [name, value, verdict] of lines)
  process.stdout.write(`  ${name.padEnd(32)} ${value.padEnd(70)} ${verdict}\n`);
process.stdout.write(`\nreport: ${join(outDirectory, 'model', 'report.html')}\ntotal ${elapsed()}\n`);
process.stdout.write(
  `${JSON.stringify({
    bench: 'quality',
    customers,
    auc: Number(stackAuc.toFixed(4)),
    oracle_auc: Number(oracleAuc.toFixed(4)),
    precision: Number(evaluation.atModelThreshold.precision.toFixed(4)),
    recall: Number(recallAtThreshold.toFixed(4)),
    lead_time_days_median: lead.median,
    gbdt_only_auc: Number(gbdtAuc.toFixed(4)),
    telco_cv_auc: telcoCvAuc === null ? null : Number(telcoCvAuc.toFixed(4)),
    oracle_precision_at_recall: Number(oraclePrecision.toFixed(4)),
    threshold: Number(model.decision.threshold.toFixed(4)),
    components_auc: Object.fromEntries(
      Object.entries(evaluation.componentAuc).map(([k, v]) => [k, Number(v.toFixed(4))]),
    ),
    train_seconds: Object.fromEntries(
      Object.entries(training.seconds).map(([k, v]) => [k, Number(v.toFixed(1))]),
    ),
  })}\n`,
);
model.dispose();
void scores;
