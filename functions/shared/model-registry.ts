import { createHash } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  type ListObjectsCommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { ModelArtifactError, readManifest } from '../../ml/models/hybrid/artifact.js';
import { formatIssues } from '../../ml/schema/format-issues.js';
import { createDocumentClient } from './clients.js';
import { ChurnRadarError, ValidationError } from './errors.js';

/**
 * The model registry: immutable model versions in the model bucket, and the aliases that name the
 * champion and the challenger in the operations table.
 *
 * S3 (model bucket):
 * - `models/<version>/<file>`: the artifact's files, `manifest.json` written last, so a version
 *   whose manifest exists has every file; plus `lineage.json`, the registry's own record (when,
 *   from which data and code, which files);
 * - `registry/aliases.json`: a readable **mirror** of the aliases, rewritten after each change for
 *   people and tools that only read S3. The table is the source of truth; the mirror may lag.
 *
 * DynamoDB (operations table, partition `model-registry`):
 * - `version#<version>`: the claim a registration takes before writing any file, so two writers of
 *   one version cannot mix their files (s3rver has no conditional PUT; on S3 the manifest's
 *   `If-None-Match: *` alone would still let the loser overwrite the winner's other files);
 * - `alias#<alias>`: where the alias points, a revision number every change increments (the
 *   condition of every write, so a change based on a stale read fails instead of winning), and the
 *   stack of earlier versions that rollback pops;
 * - `alias#<alias>#<revision>`: one history item per change, for people; rollback does not need it.
 */

export const MODELS_PREFIX = 'models/';
export const REGISTRY_PREFIX = 'registry/';
/** The readable copy of the aliases; not the source of truth (that is the operations table). */
export const ALIASES_MIRROR_KEY = `${REGISTRY_PREFIX}aliases.json`;
export const MANIFEST_FILE = 'manifest.json';
/** The registry's own file beside the artifact; an artifact may not bring a file of this name. */
export const LINEAGE_FILE = 'lineage.json';
const METRICS_FILE = 'metrics.json';
const REPORT_FILE = 'report.html';

/** Partition key of every registry item in the operations table. */
export const REGISTRY_PK = 'model-registry';

export const MODEL_ALIASES = ['champion', 'challenger'] as const;
export type ModelAlias = (typeof MODEL_ALIASES)[number];

/** Earlier versions an alias remembers for rollback; older ones stay in the history only. */
export const ROLLBACK_DEPTH = 50;

const VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const LIST_CONCURRENCY = 8;
const PUT_CONCURRENCY = 4;

// ---------------------------------------------------------------------------------------------
// Errors

/** Versions are immutable: this one is registered already (or another writer is registering it). */
export class ModelVersionExistsError extends ChurnRadarError {
  readonly version: string;

  constructor(version: string, detail: string) {
    super(
      `model version ${version} ${detail}; versions are immutable: register under a new version`,
      'ModelVersionExists',
      409,
    );
    this.version = version;
  }
}

export class ModelNotFoundError extends ChurnRadarError {
  readonly version: string;

  constructor(version: string) {
    super(
      `model version ${version} is not registered (no ${modelKey(version, MANIFEST_FILE)}); \`churn model list\` shows the registered ones`,
      'ModelNotFound',
      404,
    );
    this.version = version;
  }
}

/** Somebody else moved the alias between our read and our write, or it does not point where the caller expected. */
export class AliasConflictError extends ChurnRadarError {
  readonly alias: ModelAlias;
  readonly expected: string | undefined;
  readonly actual: string | undefined;

  constructor(alias: ModelAlias, expected: string | undefined, actual: string | undefined, doing: string) {
    super(
      `${alias} points at ${actual ?? '(nothing)'}, not ${expected ?? '(nothing)'} as expected while ${doing}: ` +
        'it moved since it was read; look at `churn model list` and try again',
      'AliasConflict',
      409,
    );
    this.alias = alias;
    this.expected = expected;
    this.actual = actual;
  }
}

export class NothingToRollBackError extends ChurnRadarError {
  constructor(alias: ModelAlias, current: string | undefined) {
    super(
      current === undefined
        ? `${alias} is not set: there is nothing to roll back`
        : `${alias} ${current} has no earlier version to roll back to; promote another version instead`,
      'NothingToRollBack',
      409,
    );
  }
}

/** What the registry stored does not have the shape it writes: tampered with, or torn. */
export class RegistryDataError extends ChurnRadarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'RegistryDataError', 500, options);
  }
}

/** The alias changed in the table, but its S3 mirror could not be rewritten; any later change rewrites it. */
export class AliasMirrorError extends ChurnRadarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'AliasMirrorError', 500, options);
  }
}

// ---------------------------------------------------------------------------------------------
// Contracts

/** Where a model came from: enough to rebuild it, or to tell which data an incident touched. */
export interface ModelLineage {
  /** Cut-off days (`as_of`) of the training snapshots. */
  readonly snapshots: string[];
  /** Cut-off of the snapshot it was evaluated on, when not out of fold. */
  readonly holdout?: string;
  readonly horizonDays: number;
  /** The code that trained it: a git commit, a package version. */
  readonly codeVersion: string;
  /** The training parameters as given (folds, components, seed, ...). */
  readonly params: unknown;
  /** Days of events the snapshots were built from. */
  readonly dataRange?: { readonly from: string; readonly to: string };
}

export interface RegisteredModel {
  readonly version: string;
  /** ISO 8601 UTC, when the registry accepted it. */
  readonly registeredAt: string;
  /** `metrics.json` as the trainer wrote it, or null when the artifact has none. */
  readonly metrics: unknown;
  readonly lineage: ModelLineage;
  /** The artifact's file names (without the registry's `lineage.json`). */
  readonly files: readonly string[];
  /** Bucket key of `manifest.json`. */
  readonly manifestKey: string;
  /** Bucket key of `report.html`, when the artifact has one. */
  readonly reportKey?: string;
}

/** A registered model as `list()` returns it: with the aliases that point at it. */
export interface ListedModel extends RegisteredModel {
  readonly aliases: readonly ModelAlias[];
}

export interface AliasChange {
  readonly alias: ModelAlias;
  readonly version: string;
  /** Where the alias pointed before this change. */
  readonly previous?: string;
  /** 1 for the first change of the alias, then one more each time. */
  readonly revision: number;
  readonly at: string;
  readonly action: 'set' | 'promote' | 'rollback';
  readonly reason?: string;
}

/** What use cases (scoring, the training pipeline) need of a registry; tests pass fakes. */
export interface ModelRegistry {
  register(
    version: string,
    files: ReadonlyMap<string, Uint8Array>,
    lineage: ModelLineage,
  ): Promise<RegisteredModel>;
  get(version: string): Promise<RegisteredModel | undefined>;
  list(): Promise<ListedModel[]>;
  readFiles(version: string): Promise<Map<string, Uint8Array>>;
  aliases(): Promise<Record<ModelAlias, string | undefined>>;
  setAlias(
    alias: ModelAlias,
    version: string,
    options?: { expected?: string | undefined; reason?: string },
  ): Promise<void>;
  promote(version: string, reason?: string): Promise<{ previous: string | undefined; changed: boolean }>;
  rollback(reason?: string): Promise<{ from: string; to: string }>;
  history(alias: ModelAlias): Promise<AliasChange[]>;
}

const LineageSchema = z.object({
  snapshots: z.array(z.string().min(1)).min(1),
  holdout: z.string().min(1).optional(),
  horizonDays: z.int().min(1),
  codeVersion: z.string().min(1),
  params: z.unknown(),
  dataRange: z.object({ from: z.string().min(1), to: z.string().min(1) }).optional(),
});

const REGISTRATION_FORMAT = 'churn-radar/model-registration';

/** `lineage.json`: what the registry knows of a version besides the artifact. */
const RegistrationSchema = z.object({
  format: z.literal(REGISTRATION_FORMAT),
  version: z.literal(1),
  model_version: z.string(),
  registered_at: z.string(),
  files: z.array(z.string()),
  lineage: LineageSchema,
});
type Registration = z.infer<typeof RegistrationSchema>;

interface AliasItem {
  readonly pk: string;
  readonly sk: string;
  readonly alias: ModelAlias;
  readonly version: string;
  readonly previous?: string;
  readonly revision: number;
  readonly at: string;
  readonly action: AliasChange['action'];
  readonly reason?: string;
  /** Earlier versions, oldest first; rollback pops the last. */
  readonly stack: string[];
}

// ---------------------------------------------------------------------------------------------
// Names and checks

export function checkVersion(version: string, field = 'version'): string {
  if (typeof version !== 'string' || !VERSION.test(version)) {
    throw new ValidationError(
      `${field}: expected 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit, got ${JSON.stringify(version)}`,
    );
  }
  return version;
}

function checkAlias(alias: string): ModelAlias {
  if (!(MODEL_ALIASES as readonly string[]).includes(alias)) {
    throw new ValidationError(
      `alias: expected one of ${MODEL_ALIASES.join(', ')}, got ${JSON.stringify(alias)}`,
    );
  }
  return alias as ModelAlias;
}

function checkReason(reason: string | undefined): string | undefined {
  if (reason === undefined) return undefined;
  if (typeof reason !== 'string' || reason.length > 1000) {
    throw new ValidationError('reason: expected text of at most 1000 characters');
  }
  return reason.trim() === '' ? undefined : reason;
}

/** `models/<version>/`. */
export function modelPrefix(version: string): string {
  return `${MODELS_PREFIX}${checkVersion(version)}/`;
}

/** `models/<version>/<file>`. */
export function modelKey(version: string, file: string): string {
  return `${modelPrefix(version)}${file}`;
}

const aliasSk = (alias: ModelAlias) => `alias#${alias}`;
const historySk = (alias: ModelAlias, revision: number) =>
  `alias#${alias}#${String(revision).padStart(10, '0')}`;
const claimSk = (version: string) => `version#${version}`;

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function contentType(file: string): string {
  if (file.endsWith('.json')) return 'application/json';
  if (file.endsWith('.html')) return 'text/html; charset=utf-8';
  return 'application/octet-stream';
}

/**
 * Checks an artifact before anything is written: a manifest naming this version, and exactly the
 * files it lists with the hashes it lists, so a registered version always loads with `modelFromFiles`.
 * Returns the manifest's hash (what a retried registration of the same artifact must match).
 */
function checkArtifact(version: string, files: ReadonlyMap<string, Uint8Array>): string {
  for (const name of files.keys()) {
    if (!FILE_NAME.test(name)) {
      throw new ValidationError(
        `files: file name ${JSON.stringify(name)} must be 1-200 letters, digits, '.', '_' or '-' (no '/'), starting with a letter or digit`,
      );
    }
    if (name === LINEAGE_FILE) {
      throw new ValidationError(`files: ${LINEAGE_FILE} is the registry's own file; rename the artifact's`);
    }
  }
  const manifestBytes = files.get(MANIFEST_FILE);
  if (manifestBytes === undefined) throw new ValidationError(`files: ${MANIFEST_FILE} is missing`);
  let manifest: ReturnType<typeof readManifest>;
  try {
    manifest = readManifest(files);
  } catch (error) {
    if (error instanceof ModelArtifactError)
      throw new ValidationError(`files: ${error.message}`, { cause: error });
    throw error;
  }
  if (manifest.model_version !== version) {
    throw new ValidationError(
      `version: ${JSON.stringify(version)} differs from manifest.json model_version ${JSON.stringify(manifest.model_version)}`,
    );
  }
  for (const [name, hash] of Object.entries(manifest.files)) {
    const bytes = files.get(name);
    if (bytes === undefined)
      throw new ValidationError(`files: ${name} is listed in manifest.json but missing`);
    if (sha256(bytes) !== hash)
      throw new ValidationError(`files: ${name} does not match its SHA-256 in manifest.json`);
  }
  for (const name of files.keys()) {
    if (name !== MANIFEST_FILE && !Object.hasOwn(manifest.files, name))
      throw new ValidationError(`files: ${name} is not listed in manifest.json`);
  }
  return sha256(manifestBytes);
}

function parseLineage(lineage: ModelLineage): ModelLineage {
  const parsed = LineageSchema.safeParse(lineage, { reportInput: true });
  if (!parsed.success) {
    // Prefixed, so the message names the argument as well as the field: `lineage.horizonDays: ...`.
    const issues = parsed.error.issues.map((issue) => ({ ...issue, path: ['lineage', ...issue.path] }));
    throw new ValidationError(formatIssues({ issues }, 'lineage'));
  }
  const { holdout, dataRange, ...rest } = parsed.data;
  return {
    ...rest,
    params: rest.params ?? null,
    ...(holdout === undefined ? {} : { holdout }),
    ...(dataRange === undefined ? {} : { dataRange }),
  };
}

function isMissing(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return error.name === 'NoSuchKey' || error.name === 'NotFound' || status === 404;
}

function isPreconditionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  // 412: the key exists; ConditionalRequestConflict (409): a concurrent conditional write to it is in flight.
  return error.name === 'PreconditionFailed' || error.name === 'ConditionalRequestConflict' || status === 412;
}

const isConditionFailure = (error: unknown): boolean =>
  error instanceof Error && error.name === 'ConditionalCheckFailedException';

/** `task` over `items`, `limit` at a time, in order; after a failure no new task starts, and all running ones finish first. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await task(items[index] as T);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const failure = settled.find((outcome) => outcome.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
  return results;
}

// ---------------------------------------------------------------------------------------------
// The adapter

export interface S3ModelRegistryDeps {
  readonly s3: S3Client;
  /** The model bucket (`MODEL_BUCKET`). */
  readonly bucket: string;
  /** A document client, or a plain client that is wrapped in one. */
  readonly ddb: DynamoDBDocumentClient | DynamoDBClient;
  /** The operations table (`OPERATIONS_TABLE`). */
  readonly table: string;
  readonly now?: () => Date;
}

export class S3ModelRegistry implements ModelRegistry {
  private readonly s3: S3Client;
  private readonly bucket: string;
  private readonly documents: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly now: () => Date;

  constructor(deps: S3ModelRegistryDeps) {
    this.s3 = deps.s3;
    this.bucket = deps.bucket;
    this.documents =
      deps.ddb instanceof DynamoDBDocumentClient
        ? deps.ddb
        : createDocumentClient(deps.ddb as DynamoDBClient);
    this.table = deps.table;
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Writes every file under `models/<version>/` (the manifest last) plus `lineage.json`. A version
   * that exists is immutable: throws {@link ModelVersionExistsError} without touching it. A
   * registration that died half way can be retried with the same artifact; a different artifact
   * under that version is refused.
   */
  async register(
    version: string,
    files: ReadonlyMap<string, Uint8Array>,
    lineage: ModelLineage,
  ): Promise<RegisteredModel> {
    checkVersion(version);
    const checkedLineage = parseLineage(lineage);
    const manifestSha = checkArtifact(version, files);
    if (await this.exists(modelKey(version, MANIFEST_FILE))) {
      throw new ModelVersionExistsError(version, 'is registered already');
    }
    const registeredAt = this.now().toISOString();
    await this.claim(version, manifestSha, registeredAt);

    const names = [...files.keys()].sort();
    const registration: Registration = {
      format: REGISTRATION_FORMAT,
      version: 1,
      model_version: version,
      registered_at: registeredAt,
      files: names,
      lineage: checkedLineage as Registration['lineage'],
    };
    await mapLimit(
      names.filter((name) => name !== MANIFEST_FILE),
      PUT_CONCURRENCY,
      (name) => this.put(modelKey(version, name), files.get(name) as Uint8Array),
    );
    await this.put(modelKey(version, LINEAGE_FILE), `${JSON.stringify(registration, null, 2)}\n`);
    try {
      // Last, and only if absent: the manifest is what makes the version exist.
      await this.put(modelKey(version, MANIFEST_FILE), files.get(MANIFEST_FILE) as Uint8Array, {
        ifNoneMatch: true,
      });
    } catch (error) {
      if (isPreconditionFailure(error))
        throw new ModelVersionExistsError(version, 'was registered by another writer meanwhile');
      throw error;
    }
    await this.documents.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: REGISTRY_PK, sk: claimSk(version) },
        UpdateExpression: 'SET #state = :registered, registered_at = :at',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':registered': 'registered', ':at': registeredAt },
      }),
    );
    return this.toModel(registration, await this.readMetrics(version, names));
  }

  /** The version, or undefined when it is not registered (no manifest). */
  async get(version: string): Promise<RegisteredModel | undefined> {
    checkVersion(version);
    if (!(await this.exists(modelKey(version, MANIFEST_FILE)))) return undefined;
    return this.describe(version);
  }

  /** Every registered version, newest registration first, with the aliases that point at it. */
  async list(): Promise<ListedModel[]> {
    const [versions, aliases] = await Promise.all([this.registeredVersions(), this.aliases()]);
    const models = await mapLimit(versions, LIST_CONCURRENCY, (version) => this.describe(version));
    return models
      .sort((a, b) =>
        a.registeredAt === b.registeredAt
          ? b.version.localeCompare(a.version)
          : b.registeredAt.localeCompare(a.registeredAt),
      )
      .map((model) => ({
        ...model,
        aliases: MODEL_ALIASES.filter((alias) => aliases[alias] === model.version),
      }));
  }

  /** The artifact's files, checked against the manifest's hashes: what `modelFromFiles` takes. */
  async readFiles(version: string): Promise<Map<string, Uint8Array>> {
    const model = await this.get(version);
    if (model === undefined) throw new ModelNotFoundError(version);
    const contents = await mapLimit(model.files, LIST_CONCURRENCY, async (name) => {
      const key = modelKey(version, name);
      const bytes = await this.getBytes(key);
      if (bytes === undefined) throw new RegistryDataError(`${key}: listed in ${LINEAGE_FILE} but missing`);
      return [name, bytes] as const;
    });
    const files = new Map(contents);
    let manifest: ReturnType<typeof readManifest>;
    try {
      manifest = readManifest(files);
    } catch (error) {
      throw new RegistryDataError(`${modelKey(version, MANIFEST_FILE)}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    for (const [name, hash] of Object.entries(manifest.files)) {
      const bytes = files.get(name);
      if (bytes === undefined || sha256(bytes) !== hash)
        throw new RegistryDataError(
          `${modelKey(version, name)}: does not match manifest.json (changed or torn)`,
        );
    }
    return files;
  }

  async aliases(): Promise<Record<ModelAlias, string | undefined>> {
    const items = await Promise.all(MODEL_ALIASES.map((alias) => this.readAlias(alias)));
    return {
      champion: items[0]?.version,
      challenger: items[1]?.version,
    };
  }

  /**
   * Points `alias` at `version`. With `expected` (undefined meaning "unset"), only if the alias
   * still points there; without it, only if nobody moves the alias between this call's read and
   * its write. Either way a lost race is an {@link AliasConflictError}, never a silent overwrite.
   * Pointing an alias where it already points changes nothing (and rewrites the mirror).
   */
  async setAlias(
    alias: ModelAlias,
    version: string,
    options: { expected?: string | undefined; reason?: string } = {},
  ): Promise<void> {
    await this.moveAlias(checkAlias(alias), version, {
      ...('expected' in options ? { expected: { version: options.expected } } : {}),
      reason: options.reason,
      action: 'set',
    });
  }

  /** champion := version, conditional on the champion read just before. `changed` is false when it was already champion. */
  async promote(
    version: string,
    reason?: string,
  ): Promise<{ previous: string | undefined; changed: boolean }> {
    return this.moveAlias('champion', version, { reason, action: 'promote' });
  }

  /**
   * champion := the champion before it (popped from its rollback stack, atomically with the move).
   * Rolling back twice goes two promotions back. Throws {@link NothingToRollBackError} when there is none.
   */
  async rollback(reason?: string): Promise<{ from: string; to: string }> {
    const checkedReason = checkReason(reason);
    const current = await this.readAlias('champion');
    const to = current?.stack.at(-1);
    if (current === undefined || to === undefined)
      throw new NothingToRollBackError('champion', current?.version);
    await this.writeAlias(current, {
      alias: 'champion',
      version: to,
      stack: current.stack.slice(0, -1),
      action: 'rollback',
      reason: checkedReason,
    });
    return { from: current.version, to };
  }

  /** Every change of the alias, newest first. */
  async history(alias: ModelAlias): Promise<AliasChange[]> {
    checkAlias(alias);
    const items: AliasItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const response: QueryCommandOutput = await this.documents.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': REGISTRY_PK, ':prefix': `${aliasSk(alias)}#` },
          ScanIndexForward: false,
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...((response.Items ?? []) as AliasItem[]));
      startKey = response.LastEvaluatedKey;
    } while (startKey !== undefined);
    // The alias item carries its latest change too, in case the history write after it was lost.
    const current = await this.readAlias(alias);
    if (current !== undefined && !items.some((item) => Number(item.revision) === current.revision))
      items.unshift(current);
    return items.sort((a, b) => Number(b.revision) - Number(a.revision)).map(toChange);
  }

  /** Rewrites `registry/aliases.json` from the table. */
  async writeAliasMirror(): Promise<void> {
    const items = await Promise.all(MODEL_ALIASES.map((alias) => this.readAlias(alias)));
    const mirror = {
      note:
        'A mirror of the model registry aliases, rewritten after each change. The source of truth is ' +
        `the operations table (pk "${REGISTRY_PK}"); do not edit this file.`,
      written_at: this.now().toISOString(),
      aliases: Object.fromEntries(
        MODEL_ALIASES.map((alias, index) => [alias, items[index]?.version ?? null]),
      ),
      details: Object.fromEntries(
        MODEL_ALIASES.map((alias, index) => {
          const item = items[index];
          return [alias, item === undefined ? null : toChange(item)];
        }),
      ),
    };
    await this.put(ALIASES_MIRROR_KEY, `${JSON.stringify(mirror, null, 2)}\n`);
  }

  // -------------------------------------------------------------------------------------------

  private async moveAlias(
    alias: ModelAlias,
    version: string,
    options: {
      readonly expected?: { readonly version: string | undefined };
      readonly reason: string | undefined;
      readonly action: AliasChange['action'];
    },
  ): Promise<{ previous: string | undefined; changed: boolean }> {
    checkVersion(version);
    const reason = checkReason(options.reason);
    if (options.expected?.version !== undefined) checkVersion(options.expected.version, 'expected');
    // Versions are never deleted, so once seen registered it stays so: no race to guard here.
    if (!(await this.exists(modelKey(version, MANIFEST_FILE)))) throw new ModelNotFoundError(version);
    const current = await this.readAlias(alias);
    if (options.expected !== undefined && current?.version !== options.expected.version) {
      throw new AliasConflictError(
        alias,
        options.expected.version,
        current?.version,
        `pointing it at ${version}`,
      );
    }
    if (current?.version === version) {
      await this.mirror(alias, version);
      return { previous: version, changed: false };
    }
    await this.writeAlias(current, {
      alias,
      version,
      stack: current === undefined ? [] : [...current.stack, current.version].slice(-ROLLBACK_DEPTH),
      action: options.action,
      reason,
    });
    return { previous: current?.version, changed: true };
  }

  /** The conditional write every alias change goes through, then its history item and the mirror. */
  private async writeAlias(
    current: AliasItem | undefined,
    next: Pick<AliasItem, 'alias' | 'version' | 'stack' | 'action'> & { readonly reason: string | undefined },
  ): Promise<void> {
    const revision = (current?.revision ?? 0) + 1;
    const item: AliasItem = {
      pk: REGISTRY_PK,
      sk: aliasSk(next.alias),
      alias: next.alias,
      version: next.version,
      ...(current === undefined ? {} : { previous: current.version }),
      revision,
      at: this.now().toISOString(),
      action: next.action,
      ...(next.reason === undefined ? {} : { reason: next.reason }),
      stack: next.stack,
    };
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ...(current === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'revision = :revision',
                ExpressionAttributeValues: { ':revision': current.revision },
              }),
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const now = await this.readAlias(next.alias);
      throw new AliasConflictError(
        next.alias,
        current?.version,
        now?.version,
        `${next.action === 'rollback' ? 'rolling it back' : 'pointing it'} to ${next.version}`,
      );
    }
    // Unique per revision, which only the winner of the write above holds.
    const { stack: _stack, ...change } = item;
    await this.documents.send(
      new PutCommand({ TableName: this.table, Item: { ...change, sk: historySk(next.alias, revision) } }),
    );
    await this.mirror(next.alias, next.version);
  }

  private async mirror(alias: ModelAlias, version: string): Promise<void> {
    try {
      await this.writeAliasMirror();
    } catch (error) {
      throw new AliasMirrorError(
        `${alias} points at ${version} (recorded in ${this.table}), but s3://${this.bucket}/${ALIASES_MIRROR_KEY} ` +
          `could not be rewritten: ${(error as Error).message}; repeat the command to rewrite it`,
        { cause: error },
      );
    }
  }

  private async readAlias(alias: ModelAlias): Promise<AliasItem | undefined> {
    const response = await this.documents.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: REGISTRY_PK, sk: aliasSk(alias) },
        ConsistentRead: true,
      }),
    );
    const item = response.Item;
    if (item === undefined) return undefined;
    if (typeof item.version !== 'string' || typeof item.revision !== 'number') {
      throw new RegistryDataError(
        `${this.table} ${REGISTRY_PK}/${aliasSk(alias)}: expected a version and a revision`,
      );
    }
    return { ...(item as AliasItem), stack: Array.isArray(item.stack) ? (item.stack as string[]) : [] };
  }

  /**
   * Takes the version for this registration. A claim left by a registration that died before its
   * manifest may be taken again with the same artifact (same manifest hash): a retry, not a rival.
   */
  private async claim(version: string, manifestSha: string, at: string): Promise<void> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            pk: REGISTRY_PK,
            sk: claimSk(version),
            version,
            state: 'registering',
            manifest_sha256: manifestSha,
            claimed_at: at,
          },
          ConditionExpression:
            'attribute_not_exists(pk) OR (#state = :registering AND manifest_sha256 = :sha)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':registering': 'registering', ':sha': manifestSha },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error))
        throw new ModelVersionExistsError(version, 'is being registered (or was) with a different artifact');
      throw error;
    }
  }

  private async describe(version: string): Promise<RegisteredModel> {
    const key = modelKey(version, LINEAGE_FILE);
    const bytes = await this.getBytes(key);
    if (bytes === undefined) throw new RegistryDataError(`${key}: missing, although the manifest exists`);
    const registration = RegistrationSchema.safeParse(parseJson(bytes, key), { reportInput: true });
    if (!registration.success)
      throw new RegistryDataError(`${key}: ${formatIssues(registration.error, 'lineage.json')}`);
    if (registration.data.model_version !== version)
      throw new RegistryDataError(`${key}: names model_version ${registration.data.model_version}`);
    return this.toModel(registration.data, await this.readMetrics(version, registration.data.files));
  }

  private async readMetrics(version: string, files: readonly string[]): Promise<unknown> {
    if (!files.includes(METRICS_FILE)) return null;
    const key = modelKey(version, METRICS_FILE);
    const bytes = await this.getBytes(key);
    if (bytes === undefined) throw new RegistryDataError(`${key}: listed in ${LINEAGE_FILE} but missing`);
    return parseJson(bytes, key);
  }

  private toModel(registration: Registration, metrics: unknown): RegisteredModel {
    const version = registration.model_version;
    const { holdout, dataRange, ...lineage } = registration.lineage;
    return {
      version,
      registeredAt: registration.registered_at,
      metrics,
      lineage: {
        ...lineage,
        ...(holdout === undefined ? {} : { holdout }),
        ...(dataRange === undefined ? {} : { dataRange }),
      },
      files: registration.files,
      manifestKey: modelKey(version, MANIFEST_FILE),
      ...(registration.files.includes(REPORT_FILE) ? { reportKey: modelKey(version, REPORT_FILE) } : {}),
    };
  }

  /** Versions with a manifest, from one listing of `models/` (ListObjects v1: s3rver pages it too). */
  private async registeredVersions(): Promise<string[]> {
    const versions: string[] = [];
    let marker: string | undefined;
    do {
      const response: ListObjectsCommandOutput = await this.s3.send(
        new ListObjectsCommand({
          Bucket: this.bucket,
          Prefix: MODELS_PREFIX,
          MaxKeys: 1000,
          ...(marker === undefined ? {} : { Marker: marker }),
        }),
      );
      const keys = (response.Contents ?? []).flatMap((object) =>
        object.Key === undefined ? [] : [object.Key],
      );
      for (const key of keys) {
        const match = /^models\/([^/]+)\/manifest\.json$/.exec(key);
        if (match?.[1] !== undefined && VERSION.test(match[1])) versions.push(match[1]);
      }
      marker = response.IsTruncated === true ? (response.NextMarker ?? keys.at(-1)) : undefined;
    } while (marker !== undefined);
    return versions;
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  private async put(
    key: string,
    body: Uint8Array | string,
    options: { ifNoneMatch?: boolean } = {},
  ): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: contentType(key),
        // S3 refuses the write when the key exists (s3rver ignores it; the claim covers that case).
        ...(options.ifNoneMatch === true ? { IfNoneMatch: '*' } : {}),
      }),
    );
  }

  private async getBytes(key: string): Promise<Uint8Array | undefined> {
    try {
      const response = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (response.Body === undefined) throw new RegistryDataError(`${key}: object has no body`);
      return await response.Body.transformToByteArray();
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }
}

function parseJson(bytes: Uint8Array, key: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new RegistryDataError(`${key}: not valid JSON`, { cause: error });
  }
}

function toChange(item: AliasItem): AliasChange {
  return {
    alias: item.alias,
    version: item.version,
    ...(item.previous === undefined ? {} : { previous: item.previous }),
    revision: Number(item.revision),
    at: item.at,
    action: item.action,
    ...(item.reason === undefined ? {} : { reason: item.reason }),
  };
}
