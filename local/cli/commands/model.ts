import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  createDocumentClient,
  createDynamoDbClient,
  createS3Client,
} from '../../../functions/shared/clients.js';
import {
  type AliasChange,
  MODEL_ALIASES,
  type ModelAlias,
  type ModelLineage,
  type RegisteredModel,
  S3ModelRegistry,
} from '../../../functions/shared/model-registry.js';
import { modelBucket, operationsTable } from '../../../infra/resources.js';
import { readArtifactDirectory, readManifest } from '../../../ml/models/hybrid/artifact.js';
import { isRecord } from '../../../ml/schema/fields.js';
import { readLocalEndpoints } from '../endpoints-file.js';
import { defaultDataDir, parseInteger } from '../settings.js';
import { resolveDestination } from './import.js';

/** Where the command writes; tests pass their own. */
export interface ModelIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => Date;
}

const processIo: ModelIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  now: () => new Date(),
};

interface DestinationFlags {
  readonly dataDir: string;
  readonly endpointFromLocal?: boolean;
}

interface OpenRegistry {
  readonly registry: S3ModelRegistry;
  readonly bucket: string;
  readonly table: string;
  close(): void;
}

/**
 * The registry of a running `churn local up` (its endpoints file names the model bucket and the
 * operations table), else of AWS as `MODEL_BUCKET`, `OPERATIONS_TABLE` and `AWS_REGION` describe it.
 */
async function openRegistry(flags: DestinationFlags, io: ModelIo): Promise<OpenRegistry> {
  const destination = await resolveDestination({
    dataDir: flags.dataDir,
    requireLocal: flags.endpointFromLocal === true,
    env: io.env,
  });
  for (const note of destination.notes) io.stderr.write(`${note}\n`);
  let resources: Readonly<Record<string, string | undefined>> = io.env;
  if (destination.kind === 'local') {
    const recorded = await readLocalEndpoints(flags.dataDir);
    resources = recorded.state === 'running' ? recorded.endpoints.resources : {};
  }
  const bucket = resources[modelBucket.envVar] || undefined;
  const table = resources[operationsTable.envVar] || undefined;
  if (bucket === undefined || table === undefined) {
    throw new Error(
      'no model registry to use: start the local cloud with `churn local up` (it records itself in ' +
        `${resolve(flags.dataDir)}/endpoints.json), or set ${modelBucket.envVar} and ${operationsTable.envVar} ` +
        '(with AWS_REGION) for AWS',
    );
  }
  if (destination.kind === 'aws' && destination.endpoints.region === undefined) {
    throw new Error('AWS_REGION is not set: set it (and credentials) to use the registry in AWS');
  }
  const s3 = createS3Client(destination.endpoints);
  const dynamodb = createDynamoDbClient(destination.endpoints);
  return {
    registry: new S3ModelRegistry({ s3, bucket, ddb: createDocumentClient(dynamodb), table, now: io.now }),
    bucket,
    table,
    close() {
      s3.destroy();
      dynamodb.destroy();
    },
  };
}

async function withRegistry<T>(
  flags: DestinationFlags,
  io: ModelIo,
  use: (open: OpenRegistry) => Promise<T>,
): Promise<T> {
  const open = await openRegistry(flags, io);
  try {
    return await use(open);
  } finally {
    open.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Formatting

/** `2025-06-01 12:00` (UTC): minutes are enough to tell registrations apart in a table. */
function minute(iso: string): string {
  return iso.length >= 16 ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : iso;
}

function metric(metrics: unknown, name: string): number | undefined {
  if (!isRecord(metrics)) return undefined;
  const value = metrics[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

const fixed = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(4));
const orNone = (version: string | undefined) => version ?? '(none)';

function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  numeric: ReadonlySet<number>,
): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) =>
        numeric.has(column) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

function describeModel(model: RegisteredModel, aliases: readonly ModelAlias[], bucket: string): string {
  const { lineage, metrics } = model;
  const lines: [string, string][] = [
    ['registered', `${model.registeredAt}`],
    ['aliases', aliases.length === 0 ? '-' : aliases.join(', ')],
    ['snapshots', `${lineage.snapshots.join(', ')} (label window ${lineage.horizonDays} days)`],
    [
      'evaluated on',
      lineage.holdout === undefined ? 'out-of-fold predictions' : `holdout ${lineage.holdout}`,
    ],
  ];
  if (lineage.dataRange !== undefined)
    lines.push(['data range', `${lineage.dataRange.from} .. ${lineage.dataRange.to}`]);
  lines.push(['code version', lineage.codeVersion], ['params', JSON.stringify(lineage.params ?? null)]);
  if (metrics === null || metrics === undefined)
    lines.push(['metrics', 'none (the artifact has no metrics.json)']);
  else {
    lines.push(
      ['ROC-AUC', fixed(metric(metrics, 'roc_auc'))],
      ['PR-AUC', fixed(metric(metrics, 'pr_auc'))],
      ['log loss', fixed(metric(metrics, 'log_loss'))],
      ['threshold', fixed(metric(metrics, 'threshold'))],
      ['precision', fixed(metric(metrics, 'precision'))],
      ['recall', fixed(metric(metrics, 'recall'))],
    );
  }
  lines.push(
    ['files', model.files.join(', ')],
    ['manifest', `s3://${bucket}/${model.manifestKey}`],
    ['report', model.reportKey === undefined ? '-' : `s3://${bucket}/${model.reportKey}`],
  );
  const width = Math.max(...lines.map(([label]) => label.length));
  return `model ${model.version}\n${lines.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n')}\n`;
}

function historyTable(changes: readonly AliasChange[]): string {
  return table(
    ['rev', 'at', 'action', 'version', 'previous', 'reason'],
    changes.map((change) => [
      String(change.revision),
      minute(change.at),
      change.action,
      change.version,
      change.previous ?? '-',
      change.reason ?? '',
    ]),
    new Set([0]),
  );
}

// ---------------------------------------------------------------------------------------------
// Commands

async function listModels(flags: DestinationFlags & { readonly json?: boolean }, io: ModelIo): Promise<void> {
  await withRegistry(flags, io, async ({ registry, bucket }) => {
    const models = await registry.list();
    if (flags.json === true) {
      io.stdout.write(`${JSON.stringify(models, null, 2)}\n`);
      return;
    }
    if (models.length === 0) {
      io.stdout.write(
        `no models registered in s3://${bucket}/models/: train one with \`churn train\`, then \`churn model register DIR\`\n`,
      );
      return;
    }
    io.stdout.write(
      table(
        ['version', 'registered (UTC)', 'ROC-AUC', 'aliases'],
        models.map((model) => [
          model.version,
          minute(model.registeredAt),
          fixed(metric(model.metrics, 'roc_auc')),
          model.aliases.join(', '),
        ]),
        new Set([2]),
      ),
    );
  });
}

async function showModel(
  version: string,
  flags: DestinationFlags & { readonly json?: boolean },
  io: ModelIo,
): Promise<void> {
  await withRegistry(flags, io, async ({ registry, bucket }) => {
    const [model, aliases] = await Promise.all([registry.get(version), registry.aliases()]);
    if (model === undefined) {
      throw new Error(
        `model version ${version} is not registered in s3://${bucket}/models/; \`churn model list\` shows the registered ones`,
      );
    }
    const pointing = MODEL_ALIASES.filter((alias) => aliases[alias] === version);
    io.stdout.write(
      flags.json === true
        ? `${JSON.stringify({ ...model, aliases: pointing }, null, 2)}\n`
        : describeModel(model, pointing, bucket),
    );
  });
}

interface RegisterFlags extends DestinationFlags {
  readonly horizon: number;
  readonly holdout?: string;
  readonly codeVersion?: string;
  readonly dataFrom?: string;
  readonly dataTo?: string;
}

/** The commit of the working tree, when there is git and a repository; lineage says "unknown" otherwise. */
async function currentCommit(): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('git', ['rev-parse', '--short=12', 'HEAD'], {
      timeout: 5000,
    });
    return stdout.trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

async function registerArtifact(directory: string, flags: RegisterFlags, io: ModelIo): Promise<void> {
  const files = await readArtifactDirectory(resolve(directory)).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR')
      throw new Error(`${directory}: no such artifact directory (\`churn train\` writes one)`);
    throw error;
  });
  let manifest: ReturnType<typeof readManifest>;
  let metrics: unknown = null;
  try {
    manifest = readManifest(files);
    const metricsBytes = files.get('metrics.json');
    if (metricsBytes !== undefined) metrics = JSON.parse(new TextDecoder().decode(metricsBytes));
  } catch (error) {
    throw new Error(`${directory}: not a model artifact: ${(error as Error).message}`, { cause: error });
  }
  const evaluatedOn = isRecord(metrics) ? metrics.evaluated_on : undefined;
  const holdout =
    flags.holdout ??
    (typeof evaluatedOn === 'string' ? /^holdout (\d{4}-\d{2}-\d{2})$/.exec(evaluatedOn)?.[1] : undefined);
  if ((flags.dataFrom === undefined) !== (flags.dataTo === undefined))
    throw new InvalidArgumentError('--data-from and --data-to go together');
  const lineage: ModelLineage = {
    snapshots: manifest.training.snapshots as string[],
    horizonDays: flags.horizon,
    codeVersion: flags.codeVersion ?? (await currentCommit()),
    params: manifest.training.params ?? null,
    ...(holdout === undefined ? {} : { holdout }),
    ...(flags.dataFrom === undefined || flags.dataTo === undefined
      ? {}
      : { dataRange: { from: flags.dataFrom, to: flags.dataTo } }),
  };
  await withRegistry(flags, io, async ({ registry, bucket }) => {
    const model = await registry.register(manifest.model_version, files, lineage);
    io.stdout.write(
      `registered ${model.version}: ${model.files.length} files in s3://${bucket}/models/${model.version}/ ` +
        `(ROC-AUC ${fixed(metric(model.metrics, 'roc_auc'))})\n` +
        `not promoted: \`churn model promote ${model.version}\` makes it the champion\n`,
    );
  });
}

interface ChangeFlags extends DestinationFlags {
  readonly reason?: string;
  readonly alias?: ModelAlias;
}

async function promoteModel(version: string, flags: ChangeFlags, io: ModelIo): Promise<void> {
  const alias = flags.alias ?? 'champion';
  await withRegistry(flags, io, async ({ registry }) => {
    let previous: string | undefined;
    let changed: boolean;
    if (alias === 'champion') {
      ({ previous, changed } = await registry.promote(version, flags.reason));
    } else {
      previous = (await registry.aliases())[alias];
      changed = previous !== version;
      // Conditional on what was just read, so the "before" printed is the one that was replaced.
      await registry.setAlias(alias, version, { expected: previous, reason: flags.reason });
    }
    io.stdout.write(
      changed
        ? `${alias}: ${orNone(previous)} -> ${version}${flags.reason === undefined ? '' : ` (${flags.reason})`}\n`
        : `${alias} is already ${version}: nothing changed\n`,
    );
  });
}

async function rollbackModel(flags: ChangeFlags, io: ModelIo): Promise<void> {
  await withRegistry(flags, io, async ({ registry }) => {
    const { from, to } = await registry.rollback(flags.reason);
    io.stdout.write(
      `champion: ${from} -> ${to} (rolled back${flags.reason === undefined ? '' : `: ${flags.reason}`})\n`,
    );
  });
}

async function showHistory(
  flags: DestinationFlags & { readonly alias: ModelAlias },
  io: ModelIo,
): Promise<void> {
  await withRegistry(flags, io, async ({ registry }) => {
    const changes = await registry.history(flags.alias);
    io.stdout.write(changes.length === 0 ? `${flags.alias} has never been set\n` : historyTable(changes));
  });
}

function calendarDay(flag: string) {
  return (text: string): string => {
    if (
      !/^\d{4}-\d{2}-\d{2}$/.test(text) ||
      new Date(`${text}T00:00:00Z`).toISOString().slice(0, 10) !== text
    ) {
      throw new InvalidArgumentError(`${flag} must be a calendar day YYYY-MM-DD (UTC), got "${text}".`);
    }
    return text;
  };
}

function withDestination(command: Command): Command {
  return command
    .option(
      '--data-dir <dir>',
      'local cloud state; its endpoints.json says where `churn local up` listens',
      defaultDataDir(),
    )
    .option('--endpoint-from-local', 'fail unless a running `churn local up` is recorded in --data-dir');
}

const aliasOption = (description: string) =>
  new Option('--alias <alias>', description).choices([...MODEL_ALIASES]).default('champion');

/** `churn model ...`: the model registry (list, show, register, promote, rollback, history). */
export function registerModel(program: Command, io: ModelIo = processIo): void {
  const model = program
    .command('model')
    .summary('list, inspect, register, promote and roll back model versions')
    .description(
      'The model registry: immutable versions under s3://<model bucket>/models/<version>/, and the ' +
        'aliases (champion, challenger) in the operations table, mirrored to registry/aliases.json. ' +
        'Scoring uses the champion. Finds the registry as `churn train` finds the lakehouse: a running ' +
        '`churn local up`, else AWS (MODEL_BUCKET, OPERATIONS_TABLE, AWS_REGION).',
    )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  churn model list',
        '  churn model register .churn/models/20250601-120000 --horizon 30',
        '  churn model show 20250601-120000',
        '  churn model promote 20250601-120000 --reason "beats champion on the April holdout"',
        '  churn model rollback --reason "scores drifted after release"',
        '  churn model history',
      ].join('\n'),
    );

  withDestination(
    model
      .command('list')
      .description('registered versions, newest first: when, ROC-AUC, and which aliases point at each'),
  )
    .option('--json', 'print the versions as JSON (metrics and lineage included)')
    .action((flags: DestinationFlags & { json?: boolean }) => listModels(flags, io));

  withDestination(
    model
      .command('show')
      .argument('<version>', 'a registered version')
      .description('lineage, metrics and files of one version'),
  )
    .option('--json', 'print it as JSON')
    .addHelpText('after', '\nExample:\n  churn model show 20250601-120000')
    .action((version: string, flags: DestinationFlags & { json?: boolean }) => showModel(version, flags, io));

  withDestination(
    model
      .command('register')
      .argument('<dir>', 'artifact directory written by `churn train`')
      .summary('upload an artifact directory as a new, immutable version')
      .description(
        'Uploads an artifact directory as an immutable version (its manifest.json names it). ' +
          'Lineage comes from the manifest (snapshots, params) and the options; a version that is ' +
          'registered already is refused. Registering does not promote.',
      ),
  )
    .requiredOption(
      '--horizon <days>',
      'label window of the training snapshots',
      parseInteger('--horizon', 1, 366),
    )
    .option(
      '--holdout <date>',
      'snapshot it was evaluated on (default: from metrics.json)',
      calendarDay('--holdout'),
    )
    .option('--code-version <text>', 'code that trained it (default: the git commit of the working tree)')
    .option(
      '--data-from <date>',
      'first day of events the snapshots were built from',
      calendarDay('--data-from'),
    )
    .option('--data-to <date>', 'day after the last day of events', calendarDay('--data-to'))
    .addHelpText('after', '\nExample:\n  churn model register .churn/models/20250601-120000 --horizon 30')
    .action((directory: string, flags: RegisterFlags) => registerArtifact(directory, flags, io));

  withDestination(
    model
      .command('promote')
      .argument('<version>', 'a registered version')
      .summary('make a version the champion (or the challenger)')
      .description(
        'Points the champion (or --alias challenger) at the version, atomically: if someone else moves it ' +
          'meanwhile, nothing changes and the command fails. The previous champion stays available to rollback.',
      ),
  )
    .addOption(aliasOption('the alias to move'))
    .option('--reason <text>', 'why, recorded in the history')
    .addHelpText(
      'after',
      '\nExamples:\n  churn model promote 20250601-120000 --reason "weekly retrain"\n' +
        '  churn model promote 20250608-120000 --alias challenger',
    )
    .action((version: string, flags: ChangeFlags) => promoteModel(version, flags, io));

  withDestination(
    model
      .command('rollback')
      .summary('point the champion back at the one before it')
      .description(
        'Points the champion back at the champion before it (atomically). Repeat to go further back.',
      ),
  )
    .option('--reason <text>', 'why, recorded in the history')
    .addHelpText('after', '\nExample:\n  churn model rollback --reason "precision fell on the live segment"')
    .action((flags: ChangeFlags) => rollbackModel(flags, io));

  withDestination(model.command('history').description('every change of an alias, newest first'))
    .addOption(aliasOption('the alias whose changes to print'))
    .addHelpText('after', '\nExample:\n  churn model history --alias challenger')
    .action((flags: DestinationFlags & { alias: ModelAlias }) => showHistory(flags, io));
}
