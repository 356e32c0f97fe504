/**
 * Gradient boosting benchmark: our learner (ml/models/gbdt) against XGBoost 1.7 `hist` (Debian's
 * python3-xgboost) on the same matrices with the same parameters, in one run:
 *
 * - simulator features: `computeFeatures` snapshots of a simulated service, trained on one
 *   cut-off and tested on the next (30-day churn window);
 * - Telco customer churn (shared/data), a fixed stratified 80/20 split.
 *
 * Figures per dataset: training time of both (the best of --rounds x --repeats runs: each round
 * runs ours --repeats times back to back in this process, then XGBoost as often in one Python
 * process, so both are timed warm and both see the same machine load; both on --threads
 * threads; goal: ours at most 1.5x XGBoost's), test ROC-AUC of both (goal: within 0.003), and
 * our prediction throughput for batches and for single rows.
 *
 *   npm run bench -- gbdt [--customers 20000] [--days 150] [--seed 3] [--rounds 2] [--repeats 3] [--threads 2]
 *                         [--python /usr/bin/python3] [--only simulator|telco] [--keep DIR]
 *
 * --keep DIR leaves each dataset's matrices (float32 files and meta.json, the reference's input)
 * in DIR/<name>, to rerun bench/reference/xgb_reference.py by hand.
 *
 * Without python3-xgboost the bench says how to install it and reports our figures alone. The
 * last line printed is one JSON object with the figures.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { addDays, buildSnapshotRows, FEATURE_DEFINITIONS, type SnapshotRow } from '../ml/features/index.js';
import type { FeatureSpec, GbdtDataset } from '../ml/models/gbdt/dataset.js';
import { foldRows, selectRows, stratifiedFolds } from '../ml/models/gbdt/folds.js';
import { rocAuc } from '../ml/models/gbdt/metrics.js';
import type { GbdtModel } from '../ml/models/gbdt/model.js';
import type { GbdtParams } from '../ml/models/gbdt/params.js';
import { parseTelcoCsv } from '../ml/models/gbdt/telco.js';
import { trainGbdt } from '../ml/models/gbdt/train.js';
import { simulateHistories } from '../ml/simulate/histories.js';
import { formatRows } from '../ml/simulate/index.js';
import { wholeNumber } from './lib/args.js';

const GOAL_TRAIN_RATIO = 1.5;
const GOAL_AUC_DIFFERENCE = 0.003;
const HORIZON_DAYS = 30;
const here = dirname(fileURLToPath(import.meta.url));

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '20000' },
    days: { type: 'string', default: '150' },
    seed: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '2' },
    repeats: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    python: { type: 'string', default: '/usr/bin/python3' },
    only: { type: 'string' },
    keep: { type: 'string' },
  },
});

const customers = wholeNumber('customers', args.customers);
const days = wholeNumber('days', args.days);
const seed = wholeNumber('seed', args.seed);
const rounds = wholeNumber('rounds', args.rounds);
const repeats = wholeNumber('repeats', args.repeats);
const threads = wholeNumber('threads', args.threads);
if (days < 60 + 2 * HORIZON_DAYS) throw new Error(`--days must be at least ${60 + 2 * HORIZON_DAYS}`);
const python = args.python;
const loadAtStart = loadavg()[0] ?? 0;

// ---------------------------------------------------------------------------------------------
// The reference

function xgboostVersion(): string | null {
  const probe = spawnSync(python, ['-c', 'import xgboost, sklearn; print(xgboost.__version__)'], {
    encoding: 'utf8',
  });
  if (probe.status !== 0) return null;
  return probe.stdout.trim();
}

const xgbVersion = xgboostVersion();
if (xgbVersion === null) {
  process.stderr.write(
    `XGBoost reference unavailable (${python} cannot import xgboost and sklearn): reporting our figures alone.\n` +
      '  install it with: apt-get update && apt-get install -y python3-xgboost python3-sklearn\n',
  );
}

interface ReferenceRun {
  /** The best of the runs. */
  readonly train_s: number;
  /** Every run's seconds. */
  readonly runs: readonly number[];
  readonly train_cpu_s: number;
  readonly auc: number;
  readonly predict_rows_per_s: number;
}

function runReference(directory: string): ReferenceRun {
  const result = spawnSync(
    python,
    [join(here, 'reference', 'xgb_reference.py'), directory, String(repeats)],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    },
  );
  if (result.status !== 0) throw new Error(`xgb_reference.py failed:\n${result.stderr}`);
  const lines = result.stdout.trim().split('\n');
  const parsed: unknown = JSON.parse(lines[lines.length - 1] ?? '{}');
  const field = (name: Exclude<keyof ReferenceRun, 'runs'>): number => {
    const value = typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, name) : undefined;
    if (typeof value !== 'number') throw new Error(`xgb_reference.py printed no number for ${name}`);
    return value;
  };
  const runs =
    typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, 'train_runs_s') : undefined;
  return {
    train_s: field('train_s'),
    runs: Array.isArray(runs) ? runs.filter((run): run is number => typeof run === 'number') : [],
    train_cpu_s: field('train_cpu_s'),
    auc: field('auc'),
    predict_rows_per_s: field('predict_rows_per_s'),
  };
}

/** The same parameters in XGBoost's words. */
function xgboostParams(params: Partial<GbdtParams>): Record<string, string | number> {
  return {
    objective: 'binary:logistic',
    tree_method: 'hist',
    max_bin: params.maxBin ?? 256,
    nthread: threads,
    eta: params.learningRate ?? 0.3,
    max_depth: params.maxDepth ?? 6,
    lambda: params.lambda ?? 1,
    min_child_weight: params.minChildWeight ?? 1,
    subsample: 1,
    colsample_bytree: 1,
    max_cat_to_onehot: params.maxCatToOnehot ?? 4,
    base_score: 0.5,
    seed: 0,
    num_boost_round: params.rounds ?? 100,
  };
}

async function writeMatrices(
  directory: string,
  train: GbdtDataset,
  test: GbdtDataset,
  params: Partial<GbdtParams>,
): Promise<void> {
  const bytes = (array: Float32Array): Buffer =>
    Buffer.from(array.buffer, array.byteOffset, array.byteLength);
  await writeFile(join(directory, 'x_train.f32'), bytes(train.values));
  await writeFile(join(directory, 'y_train.f32'), bytes(Float32Array.from(train.labels)));
  await writeFile(join(directory, 'x_test.f32'), bytes(test.values));
  await writeFile(join(directory, 'y_test.f32'), bytes(Float32Array.from(test.labels)));
  await writeFile(
    join(directory, 'meta.json'),
    JSON.stringify({
      features: train.features.length,
      feature_types: train.features.map((feature) => (feature.kind === 'categorical' ? 'c' : 'q')),
      params: xgboostParams(params),
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Data

interface BenchDataset {
  readonly name: string;
  readonly train: GbdtDataset;
  readonly test: GbdtDataset;
  readonly params: Partial<GbdtParams>;
  readonly note: string;
}

/** Rows of two snapshots as matrices; categorical levels coded over both, sorted. */
function snapshotMatrices(trainRows: SnapshotRow[], testRows: SnapshotRow[]): [GbdtDataset, GbdtDataset] {
  const levels = new Map<string, string[]>();
  for (const definition of FEATURE_DEFINITIONS) {
    if (definition.kind !== 'categorical') continue;
    const seen = new Set<string>();
    for (const row of [...trainRows, ...testRows]) seen.add(String(row.features[definition.name]));
    levels.set(definition.name, [...seen].sort());
  }
  const features: FeatureSpec[] = FEATURE_DEFINITIONS.map((definition) =>
    definition.kind === 'categorical'
      ? { name: definition.name, kind: 'categorical', categories: levels.get(definition.name) ?? [] }
      : { name: definition.name, kind: 'numeric' },
  );
  const toMatrix = (rows: SnapshotRow[]): GbdtDataset => {
    const labelled = rows.filter((row) => row.label !== null);
    const values = new Float32Array(labelled.length * features.length);
    labelled.forEach((row, index) => {
      FEATURE_DEFINITIONS.forEach((definition, feature) => {
        const value = row.features[definition.name];
        values[index * features.length + feature] =
          typeof value === 'number' ? value : (levels.get(definition.name) ?? []).indexOf(value);
      });
    });
    return {
      values,
      rows: labelled.length,
      features,
      labels: Float32Array.from(labelled, (row) => row.label ?? 0),
    };
  };
  return [toMatrix(trainRows), toMatrix(testRows)];
}

function simulatorDataset(): BenchDataset {
  process.stderr.write(
    `simulating ${customers.toLocaleString('en-US')} customers x ${days} days (seed ${seed})\n`,
  );
  const began = performance.now();
  // Events are folded into day aggregates as they come, so the run never holds raw events.
  const { result, histories, labels } = simulateHistories({ customers, days, seed });
  // Features read only days before their cut-off, so one set of histories serves both snapshots.
  const testAsOf = addDays(result.options.start, days - HORIZON_DAYS);
  const trainAsOf = addDays(testAsOf, -HORIZON_DAYS);
  const snapshot = (asOf: string): SnapshotRow[] =>
    buildSnapshotRows({ histories, asOf, horizonDays: HORIZON_DAYS, labels });
  const [train, test] = snapshotMatrices(snapshot(trainAsOf), snapshot(testAsOf));
  process.stderr.write(
    `  simulator features ready in ${((performance.now() - began) / 1000).toFixed(1)} s\n`,
  );
  return {
    name: 'simulator',
    train,
    test,
    params: { rounds: 300, learningRate: 0.1, maxDepth: 6, lambda: 1, minChildWeight: 1, maxBin: 256 },
    note: `${customers} customers, train as of ${trainAsOf}, test as of ${testAsOf}, ${HORIZON_DAYS}-day window`,
  };
}

function telcoDataset(): BenchDataset {
  const data = parseTelcoCsv(
    readFileSync(join(here, '..', '..', 'shared', 'data', 'telco-customer-churn.csv'), 'utf8'),
  );
  const { train, test } = foldRows(stratifiedFolds(data.labels, 5, 7), 0);
  return {
    name: 'telco',
    train: selectRows(data, train),
    test: selectRows(data, test),
    params: { rounds: 300, learningRate: 0.05, maxDepth: 3, lambda: 1, minChildWeight: 1, maxBin: 256 },
    note: 'stratified 80/20 split (fold 0 of 5, seed 7)',
  };
}

// ---------------------------------------------------------------------------------------------
// Measurement

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Rows per second of `run(rows)`, best of three passes of at least `seconds` each. */
function throughput(rows: number, seconds: number, run: () => void): number {
  let best = 0;
  for (let pass = 0; pass < 3; pass++) {
    let done = 0;
    const began = performance.now();
    while (performance.now() - began < seconds * 1000) {
      run();
      done += rows;
    }
    best = Math.max(best, done / ((performance.now() - began) / 1000));
  }
  return best;
}

interface DatasetFigures {
  name: string;
  rows: number;
  test_rows: number;
  features: number;
  auc: number;
  xgb_auc: number | null;
  auc_difference: number | null;
  train_s: number;
  xgb_train_s: number | null;
  train_ratio: number | null;
  train_s_median: number;
  xgb_train_s_median: number | null;
  train_cpu_s: number;
  xgb_train_cpu_s: number | null;
  threads_used: number;
  predict_rows_per_s: number;
  predict_single_rows_per_s: number;
  xgb_predict_rows_per_s: number | null;
  params: Partial<GbdtParams>;
  note: string;
}

async function measure(dataset: BenchDataset): Promise<DatasetFigures> {
  const { train, test, params } = dataset;
  const directory =
    args.keep === undefined
      ? await mkdtemp(join(tmpdir(), 'churn-bench-gbdt-'))
      : join(args.keep, dataset.name);
  await mkdir(directory, { recursive: true });
  try {
    await writeMatrices(directory, train, test, params);
    const ours: Array<{ seconds: number; cpu: number }> = [];
    const reference: ReferenceRun[] = [];
    let model: GbdtModel | undefined;
    process.stderr.write(
      `${dataset.name}: ${train.rows} x ${train.features.length} training rows, ${rounds} rounds of ${repeats} runs\n`,
    );
    for (let round = 0; round < rounds; round++) {
      const times: number[] = [];
      for (let repeat = 0; repeat < repeats; repeat++) {
        const cpuBefore = process.cpuUsage();
        const began = performance.now();
        model = trainGbdt(train, { ...params, threads });
        const seconds = (performance.now() - began) / 1000;
        const cpu = process.cpuUsage(cpuBefore);
        ours.push({ seconds, cpu: (cpu.user + cpu.system) / 1e6 });
        times.push(seconds);
      }
      if (xgbVersion !== null) reference.push(runReference(directory));
      const xgbTimes = reference[round]?.runs.map((time) => time.toFixed(2)).join(' ');
      process.stderr.write(
        `  round ${round + 1}: ours ${times.map((time) => time.toFixed(2)).join(' ')} s` +
          (xgbVersion === null ? '\n' : `; xgboost ${xgbTimes} s\n`),
      );
    }
    if (model === undefined) throw new Error('no repeat ran');
    const trained = model;
    const probabilities = trained.predictProbability(test.values, test.rows);
    const auc = rocAuc(probabilities, test.labels);
    const batch = throughput(test.rows, 0.5, () => {
      trained.predictProbability(test.values, test.rows);
    });
    const featureCount = test.features.length;
    let sink = 0;
    const single = throughput(test.rows, 0.5, () => {
      for (let row = 0; row < test.rows; row++)
        sink += trained.predictRowProbability(test.values, row * featureCount);
    });
    if (Number.isNaN(sink)) throw new Error('single-row predictions were not numbers');
    const best = Math.min(...ours.map((run) => run.seconds));
    const bestIndex = ours.findIndex((run) => run.seconds === best);
    const xgbBest = reference.length > 0 ? Math.min(...reference.map((run) => run.train_s)) : null;
    const xgbBestRun = reference.find((run) => run.train_s === xgbBest);
    const xgbAuc = reference[0]?.auc ?? null;
    return {
      name: dataset.name,
      rows: train.rows,
      test_rows: test.rows,
      features: featureCount,
      auc: round(auc, 5),
      xgb_auc: xgbAuc === null ? null : round(xgbAuc, 5),
      auc_difference: xgbAuc === null ? null : round(auc - xgbAuc, 5),
      train_s: round(best, 3),
      xgb_train_s: xgbBest === null ? null : round(xgbBest, 3),
      train_ratio: xgbBest === null ? null : round(best / xgbBest, 2),
      train_s_median: round(median(ours.map((run) => run.seconds)), 3),
      xgb_train_s_median:
        reference.length > 0 ? round(median(reference.flatMap((run) => run.runs)), 3) : null,
      train_cpu_s: round(ours[bestIndex]?.cpu ?? Number.NaN, 3),
      xgb_train_cpu_s: xgbBestRun === undefined ? null : round(xgbBestRun.train_cpu_s, 3),
      threads_used: trained.training?.threads ?? 1,
      predict_rows_per_s: Math.round(batch),
      predict_single_rows_per_s: Math.round(single),
      xgb_predict_rows_per_s:
        reference.length > 0 ? Math.round(Math.max(...reference.map((run) => run.predict_rows_per_s))) : null,
      params,
      note: dataset.note,
    };
  } finally {
    if (args.keep === undefined) await rm(directory, { recursive: true, force: true });
  }
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

// ---------------------------------------------------------------------------------------------

const datasets: BenchDataset[] = [];
if (args.only === undefined || args.only === 'simulator') datasets.push(simulatorDataset());
if (args.only === undefined || args.only === 'telco') datasets.push(telcoDataset());
if (datasets.length === 0) throw new Error(`--only must be simulator or telco, got ${args.only}`);

const figures: DatasetFigures[] = [];
for (const dataset of datasets) figures.push(await measure(dataset));

const rate = (value: number | null): string =>
  value === null ? 'n/a' : `${Math.round(value).toLocaleString('en-US')} rows/s`;
const rows: Array<[string, string]> = [];
for (const item of figures) {
  rows.push(
    [
      `${item.name}`,
      `${item.rows.toLocaleString('en-US')} train / ${item.test_rows.toLocaleString('en-US')} test rows x ${item.features} features; ${item.note}`,
    ],
    [
      '  train time',
      `ours ${item.train_s.toFixed(2)} s (${item.threads_used} thread${item.threads_used === 1 ? '' : 's'}, cpu ${item.train_cpu_s.toFixed(2)} s)` +
        (item.xgb_train_s === null
          ? ''
          : ` vs xgboost ${item.xgb_train_s.toFixed(2)} s (cpu ${item.xgb_train_cpu_s?.toFixed(2)} s): ${item.train_ratio?.toFixed(2)}x (goal <= ${GOAL_TRAIN_RATIO}x)`),
    ],
    [
      '  test ROC-AUC',
      `ours ${item.auc.toFixed(4)}` +
        (item.xgb_auc === null
          ? ''
          : ` vs xgboost ${item.xgb_auc.toFixed(4)}: ${item.auc_difference !== null && item.auc_difference >= 0 ? '+' : ''}${item.auc_difference?.toFixed(4)} (goal within ${GOAL_AUC_DIFFERENCE})`),
    ],
    [
      '  predict',
      `batch ${rate(item.predict_rows_per_s)}, single rows ${rate(item.predict_single_rows_per_s)} (xgboost batch from numpy: ${rate(item.xgb_predict_rows_per_s)})`,
    ],
  );
}
rows.push(
  [
    'reference',
    xgbVersion === null ? 'none (python3-xgboost missing)' : `XGBoost ${xgbVersion} hist, ${threads} threads`,
  ],
  [
    'timing',
    `best of ${rounds} x ${repeats} warm runs each, rounds alternating ours and XGBoost; load average ${loadAtStart.toFixed(2)} at start, ${(loadavg()[0] ?? 0).toFixed(2)} at end`,
  ],
  ['cores', String(availableParallelism())],
);
process.stdout.write(`\ngbdt: ours vs XGBoost hist\n${formatRows(rows)}\n`);
process.stdout.write(
  `${JSON.stringify({
    bench: 'gbdt',
    reference: xgbVersion === null ? null : `xgboost ${xgbVersion} hist`,
    threads,
    rounds,
    repeats,
    goals: { train_ratio: GOAL_TRAIN_RATIO, auc_difference: GOAL_AUC_DIFFERENCE },
    datasets: figures,
    load_average: { start: round(loadAtStart, 2), end: round(loadavg()[0] ?? 0, 2) },
    cores: availableParallelism(),
  })}\n`,
);
