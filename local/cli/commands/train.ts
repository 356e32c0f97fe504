import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { createS3Client } from '../../../functions/shared/clients.js';
import { S3SnapshotStore } from '../../../functions/shared/snapshot-store.js';
import { makeTrainModel } from '../../../functions/train/train-model.js';
import { lakehouseBucket } from '../../../infra/resources.js';
import {
  COMPONENTS,
  type ComponentName,
  formatEvaluation,
  writeArtifactDirectory,
} from '../../../ml/models/hybrid/index.js';
import { defaultDataDir, parseInteger } from '../settings.js';
import { resolveDestination } from './import.js';

export interface TrainIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => Date;
}

const processIo: TrainIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  now: () => new Date(),
};

interface TrainFlags {
  readonly asOf?: string[];
  readonly horizon: number;
  readonly holdout?: string;
  readonly folds: number;
  readonly components: ComponentName[];
  readonly seed: number;
  readonly out?: string;
  readonly dataDir: string;
  readonly endpointFromLocal?: boolean;
}

function calendarDay(text: string, previous: string[] = []): string[] {
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(text) ||
    new Date(`${text}T00:00:00Z`).toISOString().slice(0, 10) !== text
  ) {
    throw new InvalidArgumentError(`--as-of must be a calendar day YYYY-MM-DD (UTC), got "${text}".`);
  }
  return [...previous, text];
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

/** `YYYYMMDD-HHMMSS`: sortable, and unique enough for one trainer. */
function versionOf(now: Date): string {
  return now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
}

async function runTrain(flags: TrainFlags, io: TrainIo): Promise<void> {
  const destination = await resolveDestination({
    dataDir: flags.dataDir,
    requireLocal: flags.endpointFromLocal === true,
    env: io.env,
  });
  for (const note of destination.notes) io.stderr.write(`${note}\n`);
  const bucketName = destination.lakehouseBucket;
  if (bucketName === undefined || bucketName === '') {
    throw new Error(
      `no lakehouse bucket to read: start the local cloud with \`churn local up\`, or set ${lakehouseBucket.envVar} (with AWS_REGION) for AWS`,
    );
  }
  const s3 = createS3Client(destination.endpoints);
  try {
    const store = new S3SnapshotStore(s3, bucketName);
    let trainAsOf = flags.asOf;
    if (trainAsOf === undefined || trainAsOf.length === 0) {
      const available = (await store.listSnapshots()).filter(
        (snapshot) => snapshot.horizonDays === flags.horizon && snapshot.asOf !== flags.holdout,
      );
      const latest = available.at(-1);
      if (latest === undefined) {
        throw new Error(
          `no complete snapshot with horizon ${flags.horizon} in s3://${bucketName}/snapshots/: build one with \`churn snapshot --as-of DAY --horizon ${flags.horizon}\``,
        );
      }
      trainAsOf = [latest.asOf];
    }
    const now = io.now();
    const modelVersion = versionOf(now);
    const began = performance.now();
    const trainModel = makeTrainModel({
      readSnapshot: (asOf, horizonDays) => store.readSnapshot(asOf, horizonDays),
      now: () => now,
      onProgress: ({ stage, message }) =>
        io.stderr.write(`[${stage}] ${message} (${((performance.now() - began) / 1000).toFixed(0)} s)\n`),
    });
    const result = await trainModel({
      trainAsOf,
      horizonDays: flags.horizon,
      ...(flags.holdout === undefined ? {} : { holdoutAsOf: flags.holdout }),
      params: { folds: flags.folds, components: flags.components, seed: flags.seed },
      modelVersion,
    });
    const directory = resolve(flags.out ?? join(flags.dataDir, 'models', modelVersion));
    await writeArtifactDirectory(directory, result.files);
    io.stdout.write(
      `model ${modelVersion}: trained on ${result.trainingRows.toLocaleString('en-US')} labelled rows of ${trainAsOf.join(', ')}; ` +
        `evaluated on ${result.evaluatedOn === 'holdout' ? `the snapshot as of ${flags.holdout}` : 'out-of-fold predictions'}\n` +
        `${formatEvaluation(result.evaluation)}\n\n` +
        `time: ${Object.entries(result.seconds)
          .map(([stage, seconds]) => `${stage} ${seconds.toFixed(1)} s`)
          .join(', ')}\n` +
        `artifact: ${directory}\nreport:   ${join(directory, 'report.html')}\n`,
    );
    result.model.dispose();
  } finally {
    s3.destroy();
  }
}

/** `churn train`: trains the hybrid model on stored snapshots and writes the artifact with its report. */
export function registerTrain(program: Command, io: TrainIo = processIo): void {
  program
    .command('train')
    .summary('train the hybrid churn model on the latest snapshot and print its evaluation')
    .description(
      [
        'Trains gradient boosting, the activity-sequence network and the graph network on a',
        'point-in-time snapshot (`churn snapshot`), stacks them out of fold and calibrates, picks',
        'the decision threshold from the business costs, and writes the model artifact (trees,',
        'weights, stacker, drift baseline, metrics, report.html). Evaluates on --holdout (a later',
        'snapshot) when given, else on the out-of-fold predictions.',
      ].join('\n'),
    )
    .option(
      '--as-of <date>',
      'training snapshot cut-off (repeat for several; default: the latest)',
      calendarDay,
    )
    .option('--horizon <days>', 'label window of the snapshots', parseInteger('--horizon', 1, 366), 30)
    .option(
      '--holdout <date>',
      'a later snapshot to evaluate on (time split)',
      (text) => calendarDay(text)[0] as string,
    )
    .option('--folds <n>', 'customer folds for out-of-fold stacking', parseInteger('--folds', 2, 10), 3)
    .option('--components <list>', `parts to train, from ${COMPONENTS.join(',')}`, parseComponents, [
      ...COMPONENTS,
    ])
    .option('--seed <n>', 'seed of folds and models', parseInteger('--seed', 0, 2 ** 31 - 1), 7)
    .option('--out <dir>', 'artifact directory (default: <data-dir>/models/<version>)')
    .option(
      '--data-dir <dir>',
      'local cloud state; its endpoints.json says where `churn local up` listens',
      defaultDataDir(),
    )
    .option('--endpoint-from-local', 'fail unless a running `churn local up` is recorded in --data-dir')
    .addHelpText(
      'after',
      '\nExamples:\n  churn train\n  churn train --as-of 2025-03-01 --as-of 2025-03-16 --holdout 2025-04-15',
    )
    .action((flags: TrainFlags) => runTrain(flags, io));
}
