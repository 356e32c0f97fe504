import { createHash } from 'node:crypto';
import { appendFile, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import {
  type AwsEndpoints,
  createDocumentClient,
  createDynamoDbClient,
  createKinesisClient,
  createS3Client,
  ENDPOINT_ENV,
  endpointsFromEnv,
} from '../../../functions/shared/clients.js';
import { KinesisEventPublisher } from '../../../functions/shared/event-publisher.js';
import { S3Lakehouse } from '../../../functions/shared/lakehouse.js';
import { profileItem, putItems } from '../../../functions/shared/profile-store.js';
import { eventStream, featureTable, lakehouseBucket } from '../../../infra/resources.js';
import type { ColumnMappingFlags } from '../../../ml/import/column-mapping.js';
import { importEventStream } from '../../../ml/import/events.js';
import type { ImportReject } from '../../../ml/import/import-result.js';
import { type ImportedLabel, importLabels } from '../../../ml/import/labels.js';
import { importProfiles } from '../../../ml/import/profiles.js';
import { type ImportFormat, openImportFile, readImportRows } from '../../../ml/import/source-reader.js';
import type { Event } from '../../../ml/schema/event.js';
import { readLocalEndpoints } from '../endpoints-file.js';
import { defaultDataDir, parseInteger } from '../settings.js';

/** Where the command writes; tests pass their own. */
export interface ImportIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => Date;
}

const processIo: ImportIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  now: () => new Date(),
};

/** Some rows could not be delivered; the counts are printed before this is thrown. */
export class ImportDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportDeliveryError';
  }
}

// ---------------------------------------------------------------------------------------------
// Destination

export interface ImportDestination {
  /** `local` when read from a running `churn local up`, else `aws` (environment variables). */
  readonly kind: 'local' | 'aws';
  readonly endpoints: AwsEndpoints;
  readonly eventStream?: string;
  readonly lakehouseBucket?: string;
  readonly featureTable?: string;
  /** Notes for the user (a stale endpoints file that was ignored). */
  readonly notes: readonly string[];
}

/**
 * The local cloud from `<data-dir>/endpoints.json` when `churn local up` is running; otherwise AWS,
 * as the environment describes it (the resource variables CDK sets, and optional endpoint overrides).
 */
export async function resolveDestination(options: {
  readonly dataDir: string;
  readonly requireLocal: boolean;
  readonly env: NodeJS.ProcessEnv;
}): Promise<ImportDestination> {
  const recorded = await readLocalEndpoints(options.dataDir);
  if (recorded.state === 'running') {
    const { endpoints, resources } = recorded.endpoints;
    return {
      kind: 'local',
      endpoints: { region: recorded.endpoints.region, ...endpoints },
      eventStream: resources[eventStream.envVar],
      lakehouseBucket: resources[lakehouseBucket.envVar],
      featureTable: resources[featureTable.envVar],
      notes: [],
    };
  }
  const notes =
    recorded.state === 'stale'
      ? [`ignored ${recorded.path}: the local cloud that wrote it (pid ${recorded.pid}) is not running`]
      : [];
  if (options.requireLocal) {
    throw new Error(
      `--endpoint-from-local: no running local cloud recorded in ${resolve(options.dataDir)}; ` +
        'start one with `churn local up` (same --data-dir) in another terminal',
    );
  }
  const env = options.env;
  return {
    kind: 'aws',
    endpoints: endpointsFromEnv(env),
    eventStream: env[eventStream.envVar] || undefined,
    lakehouseBucket: env[lakehouseBucket.envVar] || undefined,
    featureTable: env[featureTable.envVar] || undefined,
    notes,
  };
}

type ResourceName = 'eventStream' | 'lakehouseBucket' | 'featureTable';

const RESOURCE_HELP: Record<ResourceName, { what: string; envVar: string; endpointVar: string }> = {
  eventStream: { what: 'event stream', envVar: eventStream.envVar, endpointVar: ENDPOINT_ENV.kinesis },
  lakehouseBucket: { what: 'lakehouse bucket', envVar: lakehouseBucket.envVar, endpointVar: ENDPOINT_ENV.s3 },
  featureTable: { what: 'feature table', envVar: featureTable.envVar, endpointVar: ENDPOINT_ENV.dynamodb },
};

/** The resource's name, or an error that says both ways of providing it. */
export function requireResource(
  destination: ImportDestination,
  resource: ResourceName,
  dataDir: string,
): string {
  const name = destination[resource];
  const help = RESOURCE_HELP[resource];
  if (name !== undefined && name !== '') {
    if (destination.kind === 'aws' && destination.endpoints.region === undefined) {
      throw new Error(
        `AWS_REGION is not set: set it (and credentials) to import into AWS, or start \`churn local up\``,
      );
    }
    return name;
  }
  throw new Error(
    `no ${help.what} to import into: start the local cloud with \`churn local up\` (it records itself in ` +
      `${resolve(dataDir)}/endpoints.json), or set ${help.envVar} for AWS ` +
      `(with AWS_REGION, and ${help.endpointVar} for another endpoint)`,
  );
}

// ---------------------------------------------------------------------------------------------
// Counting, rejects and progress

interface FileCounts {
  file: string;
  read: number;
  accepted: number;
  rejected: number;
  delivered: number;
  failed: number;
  blankLines: number;
}

function newCounts(file: string): FileCounts {
  return { file, read: 0, accepted: 0, rejected: 0, delivered: 0, failed: 0, blankLines: 0 };
}

/** The rejects file: created on the first reject, one JSON object per line. */
class RejectsFile {
  readonly path: string;
  private created = false;
  private buffered: string[] = [];
  written = 0;

  constructor(path: string) {
    this.path = path;
  }

  add(entry: { file: string; kind: 'rejected' | 'failed'; line: number; reason: string; raw: string }): void {
    this.buffered.push(`${JSON.stringify(entry)}\n`);
    this.written += 1;
  }

  async flush(): Promise<void> {
    if (this.buffered.length === 0) return;
    const text = this.buffered.join('');
    this.buffered = [];
    if (this.created) await appendFile(this.path, text, 'utf8');
    else {
      await writeFile(this.path, text, 'utf8');
      this.created = true;
    }
  }

  addReject(file: string, reject: ImportReject): void {
    this.add({ file, kind: 'rejected', ...reject });
  }

  /** Lines not yet on disk; a file of mostly bad rows must not pile them up in memory. */
  get pending(): number {
    return this.buffered.length;
  }
}

function defaultRejectsPath(kind: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return resolve(`${kind}-rejects-${stamp}.jsonl`);
}

/** Progress on stderr, at most once a second on a terminal (rewriting one line), every 10 s otherwise. */
class Progress {
  private readonly io: ImportIo;
  private last = Date.now();
  private readonly started = Date.now();
  private shown = false;

  constructor(io: ImportIo) {
    this.io = io;
  }

  update(counts: FileCounts, verb: string): void {
    const now = Date.now();
    const interval = this.io.stderr.isTTY ? 1000 : 10_000;
    if (now - this.last < interval || now - this.started < 1000) return;
    this.last = now;
    const text = `${basename(counts.file)}: ${fmt(counts.read)} read, ${fmt(counts.accepted)} accepted, ${fmt(counts.rejected)} rejected, ${fmt(counts.delivered)} ${verb}`;
    if (this.io.stderr.isTTY) this.io.stderr.write(`\r${text}\u001b[K`);
    else this.io.stderr.write(`${text}\n`);
    this.shown = true;
  }

  done(): void {
    if (this.shown && this.io.stderr.isTTY) this.io.stderr.write('\n');
    this.shown = false;
  }
}

function fmt(value: number): string {
  return value.toLocaleString('en-US');
}

function printTable(io: ImportIo, all: readonly FileCounts[], deliveredLabel: string): void {
  const total = all.reduce<FileCounts>(
    (sum, counts) => ({
      file: 'total',
      read: sum.read + counts.read,
      accepted: sum.accepted + counts.accepted,
      rejected: sum.rejected + counts.rejected,
      delivered: sum.delivered + counts.delivered,
      failed: sum.failed + counts.failed,
      blankLines: sum.blankLines + counts.blankLines,
    }),
    newCounts('total'),
  );
  const rows = all.length > 1 ? [...all, total] : all;
  const header = ['file', 'read', 'accepted', 'rejected', deliveredLabel, 'failed'];
  const cells = rows.map((counts) => [
    counts.file === 'total' ? 'total' : basename(counts.file),
    fmt(counts.read),
    fmt(counts.accepted),
    fmt(counts.rejected),
    fmt(counts.delivered),
    fmt(counts.failed),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((row) => (row[column] ?? '').length)),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ');
  io.stdout.write(`${[line(header), ...cells.map(line)].join('\n')}\n`);
  if (total.blankLines > 0) io.stdout.write(`blank lines skipped: ${fmt(total.blankLines)}\n`);
}

function printRejects(io: ImportIo, rejects: RejectsFile, all: readonly FileCounts[]): void {
  const rejected = all.reduce((sum, counts) => sum + counts.rejected, 0);
  const failed = all.reduce((sum, counts) => sum + counts.failed, 0);
  if (rejects.written === 0) io.stdout.write('rejects: none\n');
  else io.stdout.write(`rejects: ${rejects.path} (${fmt(rejected)} rejected, ${fmt(failed)} failed)\n`);
}

function finish(all: readonly FileCounts[], what: string, verb: string): void {
  const failed = all.reduce((sum, counts) => sum + counts.failed, 0);
  if (failed > 0) {
    throw new ImportDeliveryError(
      `${fmt(failed)} ${what} could not be ${verb}; they are in the rejects file with the error`,
    );
  }
}

/** A stable object name for one input file: the same file imported again overwrites its own objects. */
function importFileName(file: string, part: number): string {
  const slug = basename(file)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 80);
  const digest = createHash('sha256').update(resolve(file)).digest('hex').slice(0, 8);
  return `import-${slug || 'file'}-${digest}-${String(part).padStart(4, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// Options

interface CommonOptions {
  dataDir: string;
  endpointFromLocal?: boolean;
  rejects?: string;
  map: string[];
  id?: string;
  format?: ImportFormat;
  maxLineBytes: number;
}

interface EventOptions extends CommonOptions {
  ts?: string;
  type?: string;
  backfill?: boolean;
}

interface ProfileOptions extends CommonOptions {
  dataset: string;
  drop: string[];
}

interface LabelOptions extends CommonOptions {
  dataset: string;
  label?: string;
  churnDate?: string;
  asOf?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function addCommonOptions(command: Command): Command {
  return command
    .option('--id <column>', 'column holding the customer id (user_id); guessed for tables when omitted')
    .option('--map <column=field>', 'read FIELD from COLUMN (repeatable)', collect, [])
    .option(
      '--rejects <file>',
      'where rejected rows go, one JSON object per line (default: ./<kind>-rejects-<time>.jsonl)',
    )
    .addOption(
      new Option('--format <format>', 'input format; guessed from the extension and content').choices([
        'csv',
        'jsonl',
      ]),
    )
    .option(
      '--max-line-bytes <bytes>',
      'reject records longer than this',
      parseInteger('--max-line-bytes', 1024, 256 * 1024 * 1024),
      1024 * 1024,
    )
    .option(
      '--data-dir <dir>',
      'local cloud state; its endpoints.json says where `churn local up` listens',
      defaultDataDir(),
    )
    .option(
      '--endpoint-from-local',
      'fail unless a running `churn local up` is recorded in --data-dir (never fall back to AWS)',
    );
}

function mappingOf(options: CommonOptions & Partial<EventOptions & LabelOptions>): ColumnMappingFlags {
  return {
    id: options.id,
    ts: options.ts,
    type: options.type,
    label: options.label,
    churnDate: options.churnDate,
    map: options.map,
  };
}

// ---------------------------------------------------------------------------------------------
// Commands

const STREAM_FLUSH_EVENTS = 2000;
const BACKFILL_FLUSH_EVENTS = 200_000;
const JSONL_PART_ROWS = 50_000;

async function runEvents(files: readonly string[], options: EventOptions, io: ImportIo): Promise<void> {
  const destination = await resolveDestination({
    dataDir: options.dataDir,
    requireLocal: options.endpointFromLocal === true,
    env: io.env,
  });
  for (const note of destination.notes) io.stderr.write(`${note}\n`);
  const mapping = mappingOf(options);
  const rejects = new RejectsFile(options.rejects ?? defaultRejectsPath('events', io.now()));
  const all: FileCounts[] = [];

  let deliver: (file: string, batch: Array<{ line: number; event: Event }>, part: number) => Promise<number>;
  let cleanup: () => void = () => undefined;
  if (options.backfill) {
    const bucket = requireResource(destination, 'lakehouseBucket', options.dataDir);
    const s3 = createS3Client(destination.endpoints);
    cleanup = () => s3.destroy();
    const lakehouse = new S3Lakehouse(s3, bucket);
    io.stderr.write(`backfill into s3://${bucket}/raw/ (${destination.kind})\n`);
    deliver = async (file, batch, part) => {
      try {
        const written = await lakehouse.writeEvents(
          batch.map((item) => item.event),
          { fileName: importFileName(file, part), source: 'import' },
        );
        return written.rows;
      } catch (error) {
        // The whole batch failed; each event goes to the rejects file, so a rerun can pick them up.
        const reason = `lakehouse: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
        for (const item of batch) {
          rejects.add({ file, kind: 'failed', line: item.line, reason, raw: JSON.stringify(item.event) });
        }
        return 0;
      }
    };
  } else {
    const stream = requireResource(destination, 'eventStream', options.dataDir);
    const kinesis = createKinesisClient(destination.endpoints);
    cleanup = () => kinesis.destroy();
    const publisher = new KinesisEventPublisher(kinesis, stream);
    io.stderr.write(`sending to Kinesis stream ${stream} (${destination.kind})\n`);
    deliver = async (file, batch) => {
      const lines = new Map(batch.map((item) => [item.event, item.line]));
      const result = await publisher.publish(batch.map((item) => item.event));
      for (const failure of result.failed) {
        rejects.add({
          file,
          kind: 'failed',
          line: lines.get(failure.event) ?? 0,
          reason: failure.error,
          raw: JSON.stringify(failure.event),
        });
      }
      return result.sent;
    };
  }

  try {
    for (const file of files) {
      const counts = newCounts(file);
      all.push(counts);
      const progress = new Progress(io);
      const flushSize = options.backfill ? BACKFILL_FLUSH_EVENTS : STREAM_FLUSH_EVENTS;
      let batch: Array<{ line: number; event: Event }> = [];
      let part = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        const size = batch.length;
        const delivered = await deliver(file, batch, part);
        part += 1;
        batch = [];
        counts.delivered += delivered;
        counts.failed += size - delivered;
        await rejects.flush();
      };
      const rows = readImportRows(openImportFile(file), {
        name: file,
        format: options.format,
        maxLineBytes: options.maxLineBytes,
      });
      for await (const outcome of importEventStream(rows, { mapping })) {
        if (outcome.kind === 'blank') {
          counts.blankLines += 1;
          continue;
        }
        counts.read += 1;
        if (outcome.kind === 'rejected') {
          counts.rejected += 1;
          rejects.addReject(file, outcome.reject);
          if (rejects.pending >= 1000) await rejects.flush();
        } else {
          counts.accepted += 1;
          batch.push({ line: outcome.line, event: outcome.value });
          if (batch.length >= flushSize) await flush();
        }
        progress.update(counts, options.backfill ? 'written' : 'sent');
      }
      await flush();
      await rejects.flush();
      progress.done();
    }
  } finally {
    await rejects.flush();
    cleanup();
  }
  printTable(io, all, options.backfill ? 'written' : 'sent');
  printRejects(io, rejects, all);
  finish(all, 'events', options.backfill ? 'written' : 'sent');
}

async function runProfiles(files: readonly string[], options: ProfileOptions, io: ImportIo): Promise<void> {
  const destination = await resolveDestination({
    dataDir: options.dataDir,
    requireLocal: options.endpointFromLocal === true,
    env: io.env,
  });
  for (const note of destination.notes) io.stderr.write(`${note}\n`);
  const bucket = requireResource(destination, 'lakehouseBucket', options.dataDir);
  const table = requireResource(destination, 'featureTable', options.dataDir);
  const s3 = createS3Client(destination.endpoints);
  const dynamodb = createDynamoDbClient(destination.endpoints);
  const documents = createDocumentClient(dynamodb);
  const lakehouse = new S3Lakehouse(s3, bucket);
  const rejects = new RejectsFile(options.rejects ?? defaultRejectsPath('profiles', io.now()));
  const all: FileCounts[] = [];
  const mapping = mappingOf(options);
  try {
    for (const file of files) {
      const counts = newCounts(file);
      all.push(counts);
      const result = await importProfiles(
        readImportRows(openImportFile(file), {
          name: file,
          format: options.format,
          maxLineBytes: options.maxLineBytes,
        }),
        { mapping, drop: options.drop },
      );
      counts.read = result.read;
      counts.accepted = result.accepted.length;
      counts.rejected = result.rejected.length;
      counts.blankLines = result.blankLines;
      for (const reject of result.rejected) rejects.addReject(file, reject);

      for (let start = 0, part = 0; start < result.accepted.length; start += JSONL_PART_ROWS, part++) {
        const slice = result.accepted.slice(start, start + JSONL_PART_ROWS);
        await lakehouse.writeProfiles(options.dataset, slice, importFileName(file, part));
      }
      const updatedAt = io.now().toISOString();
      const stored = await putItems(
        documents,
        table,
        result.accepted.map((profile) => profileItem(profile, updatedAt)),
      );
      counts.delivered = stored.written;
      counts.failed = stored.failed.length;
      for (const failure of stored.failed) {
        rejects.add({
          file,
          kind: 'failed',
          line: 0,
          reason: `feature table: ${failure.error}`,
          raw: JSON.stringify(failure.item),
        });
      }
      await rejects.flush();

      const numeric = result.attributeColumns.filter((column) => column.kind === 'numeric');
      const categorical = result.attributeColumns.filter((column) => column.kind === 'categorical');
      const describe = (column: { name: string; missing: number }) =>
        column.missing > 0 ? `${column.name} (${fmt(column.missing)} missing)` : column.name;
      io.stdout.write(
        `${basename(file)}: id column ${result.idColumn}; ` +
          `${numeric.length} numeric attribute(s): ${numeric.map(describe).join(', ') || '-'}; ` +
          `${categorical.length} categorical: ${categorical.map(describe).join(', ') || '-'}\n`,
      );
    }
  } finally {
    await rejects.flush();
    s3.destroy();
    dynamodb.destroy();
  }
  io.stdout.write(
    `profiles → s3://${bucket}/profiles/dataset=${options.dataset}/ and table ${table} (${destination.kind})\n`,
  );
  printTable(io, all, 'written');
  printRejects(io, rejects, all);
  finish(all, 'profiles', 'written to the feature table');
}

async function runLabels(files: readonly string[], options: LabelOptions, io: ImportIo): Promise<void> {
  const destination = await resolveDestination({
    dataDir: options.dataDir,
    requireLocal: options.endpointFromLocal === true,
    env: io.env,
  });
  for (const note of destination.notes) io.stderr.write(`${note}\n`);
  const bucket = requireResource(destination, 'lakehouseBucket', options.dataDir);
  const s3 = createS3Client(destination.endpoints);
  const lakehouse = new S3Lakehouse(s3, bucket);
  const rejects = new RejectsFile(options.rejects ?? defaultRejectsPath('labels', io.now()));
  const all: FileCounts[] = [];
  const asOf = options.asOf ?? `${io.now().toISOString().slice(0, 19)}Z`;
  let churned = 0;
  let estimated = 0;
  try {
    for (const file of files) {
      const counts = newCounts(file);
      all.push(counts);
      const result = await importLabels(
        readImportRows(openImportFile(file), {
          name: file,
          format: options.format,
          maxLineBytes: options.maxLineBytes,
        }),
        { mapping: mappingOf(options), asOf },
      );
      counts.read = result.read;
      counts.accepted = result.accepted.length;
      counts.rejected = result.rejected.length;
      counts.blankLines = result.blankLines;
      for (const reject of result.rejected) rejects.addReject(file, reject);
      const labels: ImportedLabel[] = result.accepted;
      for (let start = 0, part = 0; start < labels.length; start += JSONL_PART_ROWS, part++) {
        const written = await lakehouse.writeLabels(
          options.dataset,
          labels.slice(start, start + JSONL_PART_ROWS),
          importFileName(file, part),
        );
        counts.delivered += written.rows;
      }
      churned += labels.filter((label) => label.churned).length;
      estimated += labels.filter((label) => label.churn_date_estimated === true).length;
      await rejects.flush();
    }
  } finally {
    await rejects.flush();
    s3.destroy();
  }
  io.stdout.write(
    `labels → s3://${bucket}/labels/dataset=${options.dataset}/ (${destination.kind}), as of ${asOf}\n`,
  );
  printTable(io, all, 'written');
  const accepted = all.reduce((sum, counts) => sum + counts.accepted, 0);
  io.stdout.write(`churned: ${fmt(churned)} of ${fmt(accepted)}\n`);
  if (estimated > 0) {
    io.stdout.write(
      `churn date unknown for ${fmt(estimated)} churned customer(s): set to as-of and flagged churn_date_estimated (use --churn-date COLUMN if the file has one)\n`,
    );
  }
  printRejects(io, rejects, all);
}

/**
 * `churn import events|profiles|labels FILE...`. Not yet registered by `local/cli/main.ts`: add
 * `registerImport(program)` there.
 */
export function registerImport(program: Command, io: ImportIo = processIo): void {
  const command = program
    .command('import')
    .description('import events, customer profiles or churn labels from CSV or JSONL files (gzip detected)');

  addCommonOptions(
    command
      .command('events')
      .description(
        'validate events and send them to the Kinesis stream (or, with --backfill, straight to the lakehouse)',
      )
      .argument('<files...>', 'CSV or JSONL files, optionally gzipped')
      .option('--ts <column>', 'column holding the event time (ts)')
      .option('--type <column>', 'column holding the event type (type)')
      .option('--backfill', 'write to the lakehouse raw/ Parquet files instead of the stream (history)'),
  ).action((files: string[], options: EventOptions) => runEvents(files, options, io));

  addCommonOptions(
    command
      .command('profiles')
      .description('import a customer table: known profile fields plus every other column as an attribute')
      .argument('<files...>', 'CSV or JSONL files, optionally gzipped')
      .option('--dataset <name>', 'lakehouse dataset name', 'default')
      .option('--drop <column>', 'leave this column out (repeatable), e.g. the label column', collect, []),
  ).action((files: string[], options: ProfileOptions) => runProfiles(files, options, io));

  addCommonOptions(
    command
      .command('labels')
      .description('import churn labels (Yes/No, 1/0, true/false) into the lakehouse')
      .argument('<files...>', 'CSV or JSONL files, optionally gzipped')
      .option('--dataset <name>', 'lakehouse dataset name', 'default')
      .option('--label <column>', 'column holding the churn flag; guessed (churn, churned) when omitted')
      .option('--churn-date <column>', 'column holding the churn date')
      .option('--as-of <time>', 'cut-off of the labels when the file has no as_of column (default: now)'),
  ).action((files: string[], options: LabelOptions) => runLabels(files, options, io));
}
