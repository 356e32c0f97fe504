import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { createDynamoDbClient, createS3Client } from '../../../functions/shared/clients.js';
import { lakehouseBucket, modelBucket, operationsTable } from '../../../infra/resources.js';
import { COMPONENTS, type ComponentName } from '../../../ml/models/hybrid/index.js';
import { formatTrainingReport, trainLocally } from '../../pipeline/train-locally.js';
import { readLocalEndpoints } from '../endpoints-file.js';
import { defaultDataDir, parseInteger } from '../settings.js';

export interface TrainIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

const processIo: TrainIo = { stdout: process.stdout, stderr: process.stderr };

interface TrainFlags {
  readonly asOf?: string[];
  readonly holdout?: string;
  readonly horizon: number;
  readonly graceDays: number;
  readonly snapshots: number;
  readonly profiles?: string;
  readonly labels?: string;
  readonly folds: number;
  readonly components: ComponentName[];
  readonly seed: number;
  readonly shuffleLabels?: boolean;
  readonly out?: string;
  readonly dataDir: string;
}

function calendarDay(text: string): string {
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(text) ||
    new Date(`${text}T00:00:00Z`).toISOString().slice(0, 10) !== text
  ) {
    throw new InvalidArgumentError(`expected a calendar day YYYY-MM-DD (UTC), got "${text}".`);
  }
  return text;
}

function parseComponents(text: string): ComponentName[] {
  const names = text.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(COMPONENTS as readonly string[]).includes(name))
      throw new InvalidArgumentError(`--components: unknown "${name}"; choose from ${COMPONENTS.join(', ')}`);
  }
  if (!names.includes('gbdt')) throw new InvalidArgumentError('--components must include gbdt');
  return names as ComponentName[];
}

/** The state machine's request from the flags; only what was given, the plan step fills the rest. */
export function trainingRequest(flags: TrainFlags): Record<string, unknown> {
  return {
    trigger: 'cli',
    horizonDays: flags.horizon,
    graceDays: flags.graceDays,
    trainSnapshots: flags.snapshots,
    ...(flags.asOf === undefined ? {} : { trainAsOf: flags.asOf }),
    ...(flags.holdout === undefined ? {} : { holdoutAsOf: flags.holdout }),
    ...(flags.profiles === undefined ? {} : { profilesDataset: flags.profiles }),
    ...(flags.labels === undefined ? {} : { labelsDataset: flags.labels }),
    params: {
      folds: flags.folds,
      seed: flags.seed,
      components: flags.components,
      ...(flags.shuffleLabels === true ? { shuffleLabels: true } : {}),
    },
  };
}

async function runTrain(flags: TrainFlags, io: TrainIo): Promise<void> {
  const recorded = await readLocalEndpoints(flags.dataDir);
  if (recorded.state !== 'running') {
    throw new Error(
      `no running local cloud recorded in ${resolve(flags.dataDir)}: start one with \`churn local up\` in another terminal ` +
        '(in AWS, training runs as the deployed ChurnRadar-<stage>-Training state machine: start an execution of it)',
    );
  }
  const { endpoints, resources } = recorded.endpoints;
  const names = {
    lakehouseName: resources[lakehouseBucket.envVar],
    modelName: resources[modelBucket.envVar],
    operationsName: resources[operationsTable.envVar],
  };
  if (
    names.lakehouseName === undefined ||
    names.modelName === undefined ||
    names.operationsName === undefined
  ) {
    throw new Error(
      `${resolve(flags.dataDir)}/endpoints.json names no lakehouse bucket, model bucket or operations table`,
    );
  }
  const aws = { region: recorded.endpoints.region, ...endpoints };
  const s3 = createS3Client(aws);
  const dynamodb = createDynamoDbClient(aws);
  try {
    const began = performance.now();
    io.stderr.write('running statemachines/train.asl.json on the local cloud\n');
    const report = await trainLocally(
      {
        s3,
        dynamodb,
        lakehouseName: names.lakehouseName,
        modelName: names.modelName,
        operationsName: names.operationsName,
      },
      trainingRequest(flags),
      {
        outDirectory: flags.out ?? resolve(flags.dataDir, 'models'),
        log: (line) => io.stderr.write(`  ${line} (${((performance.now() - began) / 1000).toFixed(0)} s)\n`),
      },
    );
    io.stdout.write(`training ${report.execution.status.toLowerCase()}\n\n${formatTrainingReport(report)}\n`);
    if (report.execution.status !== 'SUCCEEDED') process.exitCode = 1;
  } finally {
    s3.destroy();
    dynamodb.destroy();
  }
}

/** `churn train`: runs the training state machine (the file AWS runs) against `churn local up`. */
export function registerTrain(program: Command, io: TrainIo = processIo): void {
  program
    .command('train')
    .summary('train, evaluate, gate and register a model through the training state machine')
    .description(
      [
        'Runs statemachines/train.asl.json on the running local cloud: point-in-time snapshots per',
        'hash bucket, the three components (gradient boosting, activity-sequence network, graph',
        'network) in parallel, out-of-fold stacking and calibration, evaluation on a later holdout',
        'snapshot, the champion/challenger gate, registration, and promotion (or the rejection with',
        'its reasons). Prints the evaluation and the path of the HTML report.',
      ].join('\n'),
    )
    .option(
      '--as-of <date>',
      'a training cut-off (repeat for several; default: from the holdout back)',
      (text, previous: string[] = []) => [...previous, calendarDay(text)],
    )
    .option(
      '--holdout <date>',
      'the holdout cut-off (default: the latest whose labels are settled)',
      calendarDay,
    )
    .option('--horizon <days>', 'label window', parseInteger('--horizon', 1, 366), 30)
    .option(
      '--grace-days <days>',
      'days after the window before "no churn" is trusted (0 with final imported labels)',
      parseInteger('--grace-days', 0, 366),
      30,
    )
    .option(
      '--snapshots <n>',
      'training cut-offs when --as-of is not given',
      parseInteger('--snapshots', 1, 12),
      3,
    )
    .option('--profiles <dataset>', 'imported profiles dataset to join')
    .option('--labels <dataset>', 'imported labels dataset (wins over labels derived from events)')
    .option('--folds <n>', 'customer folds for out-of-fold stacking', parseInteger('--folds', 2, 10), 3)
    .option('--components <list>', `parts to train, from ${COMPONENTS.join(',')}`, parseComponents, [
      ...COMPONENTS,
    ])
    .option('--seed <n>', 'seed of folds and models', parseInteger('--seed', 0, 2 ** 31 - 1), 7)
    .option(
      '--shuffle-labels',
      'train on shuffled labels: a deliberately useless challenger, to see the gate reject it',
    )
    .option('--out <dir>', 'where to copy the registered artifact (default: <data-dir>/models)')
    .option(
      '--data-dir <dir>',
      'local cloud state; its endpoints.json says where `churn local up` listens',
      defaultDataDir(),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  churn train --profiles simulated --labels simulated --grace-days 0\n  churn train --holdout 2025-04-15 --as-of 2025-03-01 --as-of 2025-03-16',
    )
    .action((flags: TrainFlags) => runTrain(flags, io));
}
