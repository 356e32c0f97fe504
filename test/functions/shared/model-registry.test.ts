import { createHash } from 'node:crypto';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../../functions/shared/clients.js';
import { ValidationError } from '../../../functions/shared/errors.js';
import {
  ALIASES_MIRROR_KEY,
  AliasConflictError,
  type ModelLineage,
  ModelNotFoundError,
  ModelVersionExistsError,
  NothingToRollBackError,
  REGISTRY_PK,
  S3ModelRegistry,
} from '../../../functions/shared/model-registry.js';
import { operationsTable } from '../../../infra/resources.js';
import { type LocalCloud, startLocalCloud } from '../../../local/cloud/local-cloud.js';
import { createTableInput } from '../../../local/cloud/resources.js';
import { readManifest } from '../../../ml/models/hybrid/artifact.js';

const text = (value: string) => new TextEncoder().encode(value);
const json = (value: unknown) => text(JSON.stringify(value));
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const bytesOf = (files: ReadonlyMap<string, Uint8Array>, name: string) => Buffer.from(files.get(name) ?? []);

/** A hand-built artifact that readManifest accepts: the registry checks it, it never loads the model. */
function fakeArtifact(
  version: string,
  options: { rocAuc?: number; report?: boolean; seed?: number } = {},
): Map<string, Uint8Array> {
  const seed = options.seed ?? 1;
  const files = new Map<string, Uint8Array>();
  files.set('gbdt.json', json({ trees: [], seed }));
  // Every byte value, so a text conversion anywhere on the way would show.
  files.set(
    'sequence.weights.bin',
    Uint8Array.from({ length: 512 }, (_, index) => (index * 7 + seed) % 256),
  );
  if (options.rocAuc !== undefined)
    files.set('metrics.json', json({ evaluated_on: 'out-of-fold', roc_auc: options.rocAuc, pr_auc: 0.5 }));
  if (options.report === true) files.set('report.html', text(`<!doctype html><title>${version}</title>`));
  files.set(
    'manifest.json',
    json({
      format: 'churn-radar/model',
      version: 1,
      model_version: version,
      created_at: '2025-06-01T00:00:00.000Z',
      components: ['gbdt'],
      files: Object.fromEntries([...files].map(([name, bytes]) => [name, sha256(bytes)])),
      decision: {
        threshold: 0.4,
        precision: 0.5,
        recall: 0.6,
        costs: { contactCost: 1, savedCustomerValue: 100, saveRate: 0.2 },
        bands: { high: 0.6, medium: 0.3 },
      },
      training: { snapshots: ['2025-03-01'], params: { folds: 3 } },
    }),
  );
  return files;
}

const lineage: ModelLineage = {
  snapshots: ['2025-03-01', '2025-03-16'],
  holdout: '2025-04-15',
  horizonDays: 30,
  codeVersion: 'abc1234',
  params: { folds: 3, seed: 7, components: ['gbdt'] },
  dataRange: { from: '2024-12-01', to: '2025-05-15' },
};

describe('S3ModelRegistry on the local cloud', () => {
  let cloud: LocalCloud;
  let fresh = 0;
  let bucket: string;
  let table: string;
  let clock: Date;
  let registry: S3ModelRegistry;

  beforeAll(async () => {
    cloud = await startLocalCloud();
  });
  afterAll(() => cloud.stop());

  /** Every test gets its own bucket and table, so versions and aliases never leak between tests. */
  beforeEach(async () => {
    fresh += 1;
    bucket = `models-${fresh}`;
    table = `operations-${fresh}`;
    await cloud.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await cloud.clients.dynamodb.send(new CreateTableCommand(createTableInput(operationsTable, table)));
    clock = new Date('2025-06-01T12:00:00.000Z');
    registry = newRegistry();
  });

  function newRegistry(ddb = cloud.clients.dynamodb) {
    return new S3ModelRegistry({ s3: cloud.clients.s3, bucket, ddb, table, now: () => clock });
  }

  /** Registers a fake artifact, one minute after the previous one. */
  async function register(version: string, options: Parameters<typeof fakeArtifact>[1] = {}) {
    const model = await registry.register(version, fakeArtifact(version, options), lineage);
    clock = new Date(clock.getTime() + 60_000);
    return model;
  }

  it('round-trips every file byte for byte, with lineage and metrics', async () => {
    const files = fakeArtifact('v1', { rocAuc: 0.8123, report: true });

    const model = await registry.register('v1', files, lineage);
    const read = await registry.readFiles('v1');
    const got = await registry.get('v1');

    expect([...read.keys()].sort()).toEqual([...files.keys()].sort());
    for (const name of files.keys()) expect(bytesOf(read, name)).toEqual(bytesOf(files, name));
    expect(readManifest(read).model_version).toBe('v1');
    expect(got).toEqual(model);
    expect(got).toMatchObject({
      version: 'v1',
      registeredAt: '2025-06-01T12:00:00.000Z',
      metrics: { roc_auc: 0.8123 },
      lineage,
      manifestKey: 'models/v1/manifest.json',
      reportKey: 'models/v1/report.html',
    });
    const listed = await cloud.clients.s3.send(
      new ListObjectsCommand({ Bucket: bucket, Prefix: 'models/v1/' }),
    );
    expect((listed.Contents ?? []).map((object) => object.Key).sort()).toEqual(
      [...files.keys(), 'lineage.json'].map((name) => `models/v1/${name}`).sort(),
    );
  });

  it('has null metrics and no report key when the artifact has neither; an unknown version is undefined', async () => {
    const model = await register('plain');

    expect(model.metrics).toBeNull();
    expect(model.reportKey).toBeUndefined();
    expect(await registry.get('never')).toBeUndefined();
    await expect(registry.readFiles('never')).rejects.toBeInstanceOf(ModelNotFoundError);
  });

  it('refuses to register an existing version and leaves it untouched', async () => {
    const original = fakeArtifact('v1', { rocAuc: 0.7, seed: 1 });
    await registry.register('v1', original, lineage);
    clock = new Date('2026-01-01T00:00:00.000Z');

    const attempt = registry.register('v1', fakeArtifact('v1', { rocAuc: 0.9, seed: 2 }), {
      ...lineage,
      codeVersion: 'other',
    });

    await expect(attempt).rejects.toBeInstanceOf(ModelVersionExistsError);
    await expect(attempt).rejects.toMatchObject({ code: 'ModelVersionExists', statusCode: 409 });
    const read = await registry.readFiles('v1');
    for (const name of original.keys()) expect(bytesOf(read, name)).toEqual(bytesOf(original, name));
    expect(await registry.get('v1')).toMatchObject({
      registeredAt: '2025-06-01T12:00:00.000Z',
      metrics: { roc_auc: 0.7 },
      lineage: { codeVersion: 'abc1234' },
    });
  });

  it('refuses a rival artifact while a registration is in flight, and lets the same artifact retry', async () => {
    const documents = createDocumentClient(cloud.clients.dynamodb);
    const artifact = fakeArtifact('v1', { seed: 1 });
    // What a registration that died after its claim, before its manifest, leaves behind.
    await documents.send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: REGISTRY_PK,
          sk: 'version#v1',
          version: 'v1',
          state: 'registering',
          manifest_sha256: sha256(artifact.get('manifest.json') ?? new Uint8Array()),
          claimed_at: '2025-06-01T11:00:00.000Z',
        },
      }),
    );

    await expect(registry.register('v1', fakeArtifact('v1', { seed: 2 }), lineage)).rejects.toThrow(
      /model version v1 is being registered/,
    );
    const model = await registry.register('v1', artifact, lineage);

    expect(model.version).toBe('v1');
    const claim = await documents.send(
      new GetCommand({ TableName: table, Key: { pk: REGISTRY_PK, sk: 'version#v1' } }),
    );
    expect(claim.Item).toMatchObject({ state: 'registered', registered_at: '2025-06-01T12:00:00.000Z' });
  });

  it('rejects invalid version names, naming the field', async () => {
    for (const bad of ['', '../escape', 'a/b', '-leading', 'x'.repeat(101), 'spa ce']) {
      const attempt = registry.register(bad, fakeArtifact('ok'), lineage);
      await expect(attempt).rejects.toBeInstanceOf(ValidationError);
      await expect(attempt).rejects.toThrow(/^version: expected 1-100 letters/);
      await expect(registry.promote(bad)).rejects.toThrow(/^version: /);
      await expect(registry.get(bad)).rejects.toThrow(/^version: /);
    }
    await register('v1');
    await expect(registry.setAlias('champion', 'v1', { expected: 'no/slash' })).rejects.toThrow(
      /^expected: /,
    );
    await expect(registry.setAlias('leader' as 'champion', 'v1')).rejects.toThrow(
      /^alias: expected one of champion, challenger/,
    );
  });

  it('rejects an artifact that does not match its manifest or version, and bad lineage, writing nothing', async () => {
    const tampered = fakeArtifact('v1');
    tampered.set('gbdt.json', json({ changed: true }));
    const stray = fakeArtifact('v1');
    stray.set('notes.txt', text('hi'));
    const reserved = fakeArtifact('v1');
    reserved.set('lineage.json', text('{}'));
    const noManifest = fakeArtifact('v1');
    noManifest.delete('manifest.json');

    await expect(registry.register('v1', tampered, lineage)).rejects.toThrow(
      /^files: gbdt\.json does not match its SHA-256/,
    );
    await expect(registry.register('v1', stray, lineage)).rejects.toThrow(/notes\.txt is not listed/);
    await expect(registry.register('v1', reserved, lineage)).rejects.toThrow(
      /lineage\.json is the registry's/,
    );
    await expect(registry.register('v1', noManifest, lineage)).rejects.toThrow(/manifest\.json is missing/);
    await expect(registry.register('v1', fakeArtifact('v2'), lineage)).rejects.toThrow(
      /^version: "v1" differs from manifest\.json model_version "v2"/,
    );
    await expect(registry.register('v1', fakeArtifact('v1'), { ...lineage, horizonDays: 0 })).rejects.toThrow(
      /^lineage\.horizonDays: must be >= 1/,
    );
    await expect(registry.register('v1', fakeArtifact('v1'), { ...lineage, snapshots: [] })).rejects.toThrow(
      /^lineage\.snapshots: must have at least 1 items/,
    );
    const listed = await cloud.clients.s3.send(new ListObjectsCommand({ Bucket: bucket }));
    expect(listed.Contents ?? []).toEqual([]);
  });

  it('promotes: sets the champion, records history and mirrors the aliases to S3', async () => {
    await register('v1');
    await register('v2');

    const first = await registry.promote('v1', 'first model');
    clock = new Date('2025-06-02T00:00:00.000Z');
    const second = await registry.promote('v2');

    expect(first).toEqual({ previous: undefined, changed: true });
    expect(second).toEqual({ previous: 'v1', changed: true });
    expect(await registry.aliases()).toEqual({ champion: 'v2', challenger: undefined });
    expect(await registry.history('champion')).toEqual([
      {
        alias: 'champion',
        version: 'v2',
        previous: 'v1',
        revision: 2,
        at: '2025-06-02T00:00:00.000Z',
        action: 'promote',
      },
      {
        alias: 'champion',
        version: 'v1',
        revision: 1,
        at: '2025-06-01T12:02:00.000Z',
        action: 'promote',
        reason: 'first model',
      },
    ]);
    expect(await registry.history('challenger')).toEqual([]);
    const mirror = await cloud.clients.s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: ALIASES_MIRROR_KEY }),
    );
    const body = JSON.parse((await mirror.Body?.transformToString()) ?? '{}');
    expect(body.aliases).toEqual({ champion: 'v2', challenger: null });
    expect(body.note).toMatch(/mirror.*source of truth is the operations table/);
  });

  it('treats promoting the current champion as no change', async () => {
    await register('v1');
    await registry.promote('v1');

    const again = await registry.promote('v1');

    expect(again).toEqual({ previous: 'v1', changed: false });
    expect(await registry.history('champion')).toHaveLength(1);
  });

  it('throws AliasConflictError when the alias is not where the caller expected, and leaves it', async () => {
    await register('v1');
    await register('v2');
    await registry.setAlias('challenger', 'v1', { expected: undefined });

    const attempt = registry.setAlias('challenger', 'v2', { expected: 'v0' });

    await expect(attempt).rejects.toBeInstanceOf(AliasConflictError);
    await expect(attempt).rejects.toMatchObject({ code: 'AliasConflict', statusCode: 409, actual: 'v1' });
    await expect(registry.setAlias('challenger', 'v2', { expected: undefined })).rejects.toThrow(
      /challenger points at v1, not \(nothing\)/,
    );
    expect(await registry.aliases()).toEqual({ champion: undefined, challenger: 'v1' });
    await registry.setAlias('challenger', 'v2', { expected: 'v1' });
    expect((await registry.aliases()).challenger).toBe('v2');
  });

  it('lets a promotion based on a stale read lose, not overwrite the rival', async () => {
    await register('v1');
    await register('v2');
    await register('v3');
    await registry.promote('v1');
    const rival = newRegistry();
    // Between this promotion's read of the champion and its write, a rival promotes v3.
    const documents = createDocumentClient(cloud.clients.dynamodb);
    const send = documents.send.bind(documents);
    let interfered = false;
    documents.send = (async (command: Parameters<typeof send>[0]) => {
      if (!interfered && command instanceof PutCommand && command.input.Item?.sk === 'alias#champion') {
        interfered = true;
        await rival.promote('v3');
      }
      return send(command);
    }) as typeof documents.send;
    const slow = newRegistry(documents as unknown as typeof cloud.clients.dynamodb);

    const attempt = slow.promote('v2');

    await expect(attempt).rejects.toBeInstanceOf(AliasConflictError);
    await expect(attempt).rejects.toThrow(/champion points at v3, not v1 as expected/);
    expect(interfered).toBe(true);
    expect((await registry.aliases()).champion).toBe('v3');
    expect((await registry.history('champion')).map((change) => change.version)).toEqual(['v3', 'v1']);
  });

  it('says which version is unknown', async () => {
    const attempt = registry.promote('ghost');

    await expect(attempt).rejects.toBeInstanceOf(ModelNotFoundError);
    await expect(attempt).rejects.toMatchObject({ code: 'ModelNotFound', statusCode: 404 });
    await expect(attempt).rejects.toThrow(/^model version ghost is not registered/);
    await expect(registry.setAlias('challenger', 'ghost')).rejects.toBeInstanceOf(ModelNotFoundError);
    expect(await registry.aliases()).toEqual({ champion: undefined, challenger: undefined });
  });

  it('rolls back to the previous champion, twice, then refuses clearly', async () => {
    await register('v1');
    await register('v2');
    await register('v3');
    await registry.promote('v1');
    await registry.promote('v2');
    await registry.promote('v3');

    const first = await registry.rollback('v3 misbehaves');
    const second = await registry.rollback();
    const third = registry.rollback();

    expect(first).toEqual({ from: 'v3', to: 'v2' });
    expect(second).toEqual({ from: 'v2', to: 'v1' });
    await expect(third).rejects.toBeInstanceOf(NothingToRollBackError);
    await expect(third).rejects.toMatchObject({ code: 'NothingToRollBack', statusCode: 409 });
    await expect(third).rejects.toThrow('champion v1 has no earlier version to roll back to');
    expect((await registry.aliases()).champion).toBe('v1');
    expect((await registry.history('champion')).slice(0, 2)).toMatchObject([
      { action: 'rollback', version: 'v1', previous: 'v2', revision: 5 },
      { action: 'rollback', version: 'v2', previous: 'v3', revision: 4, reason: 'v3 misbehaves' },
    ]);
  });

  it('rolls back past a rollback to the champion before it, not to the abandoned one', async () => {
    await register('v1');
    await register('v2');
    await register('v3');
    await registry.promote('v1');
    await registry.promote('v2');
    await registry.rollback();

    await registry.promote('v3');

    expect(await registry.rollback()).toEqual({ from: 'v3', to: 'v1' });
  });

  it('refuses a rollback when no champion was ever set', async () => {
    await expect(registry.rollback()).rejects.toThrow(/^champion is not set: there is nothing to roll back/);
  });

  it('lists newest first, with the aliases that point at each, skipping unfinished registrations', async () => {
    for (const [index, version] of ['old', 'mid', 'new'].entries()) {
      clock = new Date(Date.UTC(2025, 5, 1 + index));
      await registry.register(version, fakeArtifact(version, { rocAuc: 0.7 + index / 100 }), lineage);
    }
    await cloud.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'models/half/gbdt.json', Body: '{}' }),
    );
    await registry.promote('mid');
    await registry.setAlias('challenger', 'new');

    const models = await registry.list();

    expect(models.map((model) => [model.version, model.registeredAt, model.aliases])).toEqual([
      ['new', '2025-06-03T00:00:00.000Z', ['challenger']],
      ['mid', '2025-06-02T00:00:00.000Z', ['champion']],
      ['old', '2025-06-01T00:00:00.000Z', []],
    ]);
    expect(models[0]?.metrics).toMatchObject({ roc_auc: 0.72 });
    expect(await newRegistry().list()).toEqual(models);
  });

  it('lists nothing in an empty registry', async () => {
    expect(await registry.list()).toEqual([]);
    expect(await registry.aliases()).toEqual({ champion: undefined, challenger: undefined });
  });
});
