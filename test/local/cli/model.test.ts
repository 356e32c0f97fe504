import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ModelRegistry } from '../../../functions/shared/model-registry.js';
import { type ModelIo, registerModel } from '../../../local/cli/commands/model.js';
import { writeLocalEndpoints } from '../../../local/cli/endpoints-file.js';
import { buildProgram } from '../../../local/cli/main.js';
import { type LocalCloud, startLocalCloud } from '../../../local/cloud/local-cloud.js';
import { writeArtifactDirectory } from '../../../ml/models/hybrid/artifact.js';

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A hand-built artifact with the manifest fields readManifest checks; the CLI never loads the model. */
function fakeArtifact(version: string, metrics?: Record<string, unknown>): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>([['gbdt.json', json({ trees: [], version })]]);
  if (metrics !== undefined) files.set('metrics.json', json(metrics));
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
      training: { snapshots: ['2025-03-01', '2025-03-16'], params: { folds: 3, seed: 7 } },
    }),
  );
  return files;
}

interface Run {
  stdout: string;
  stderr: string;
}

describe('churn model against the local cloud', () => {
  let cloud: LocalCloud;
  let dataDir: string;
  let work: string;
  let registry: S3ModelRegistry;
  let bucket: string;

  async function churnModel(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
    let stdout = '';
    let stderr = '';
    const io: ModelIo = {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env,
      now: () => new Date('2025-06-05T09:30:00Z'),
    };
    const program = new Command().exitOverride().configureOutput({
      writeOut: (text) => (stdout += text),
      writeErr: (text) => (stderr += text),
    });
    registerModel(program, io);
    const withDataDir = args.includes('--help') ? args : [...args, '--data-dir', dataDir];
    try {
      await program.parseAsync(['node', 'churn', 'model', ...withDataDir]);
    } catch (error) {
      Object.assign(error as object, { stdout, stderr });
      throw error;
    }
    return { stdout, stderr };
  }

  beforeAll(async () => {
    cloud = await startLocalCloud();
    dataDir = await mkdtemp(join(tmpdir(), 'churn-model-'));
    work = await mkdtemp(join(tmpdir(), 'churn-model-files-'));
    await writeLocalEndpoints(dataDir, cloud);
    bucket = cloud.names.buckets.ModelBucket ?? '';
    let minute = 0;
    registry = new S3ModelRegistry({
      s3: cloud.clients.s3,
      bucket,
      ddb: cloud.clients.dynamodb,
      table: cloud.names.tables.OperationsTable ?? '',
      // One minute apart, so the list's order is the registration order.
      now: () => new Date(Date.UTC(2025, 5, 1, 12, minute++)),
    });
    const lineage = {
      snapshots: ['2025-03-01'],
      horizonDays: 30,
      codeVersion: 'abc1234',
      params: { folds: 3 },
    };
    await registry.register('m-old', fakeArtifact('m-old', { roc_auc: 0.71234 }), lineage);
    await registry.register('m-new', fakeArtifact('m-new', { roc_auc: 0.80049, pr_auc: 0.4 }), {
      ...lineage,
      holdout: '2025-04-15',
    });
    await registry.register('m-bare', fakeArtifact('m-bare'), lineage);
  });
  afterAll(async () => {
    await cloud.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  // The tests run in order: each builds on the aliases the previous ones set.

  it('lists versions newest first with ROC-AUC and no aliases yet', async () => {
    const { stdout } = await churnModel(['list']);

    expect(stdout.trimEnd().split('\n')).toEqual([
      'version  registered (UTC)  ROC-AUC  aliases',
      'm-bare   2025-06-01 12:02        -',
      'm-new    2025-06-01 12:01   0.8005',
      'm-old    2025-06-01 12:00   0.7123',
    ]);
  });

  it('promotes and prints what changed, then lists the champion', async () => {
    const first = await churnModel(['promote', 'm-old']);
    const second = await churnModel(['promote', 'm-new', '--reason', 'better on the April holdout']);
    const again = await churnModel(['promote', 'm-new']);
    const challenger = await churnModel(['promote', 'm-bare', '--alias', 'challenger']);
    const list = await churnModel(['list']);

    expect(first.stdout).toBe('champion: (none) -> m-old\n');
    expect(second.stdout).toBe('champion: m-old -> m-new (better on the April holdout)\n');
    expect(again.stdout).toBe('champion is already m-new: nothing changed\n');
    expect(challenger.stdout).toBe('challenger: (none) -> m-bare\n');
    expect(list.stdout).toMatch(/^m-new\s+2025-06-01 12:01\s+0\.8005\s+champion$/m);
    expect(list.stdout).toMatch(/^m-bare\s+2025-06-01 12:02\s+-\s+challenger$/m);
    expect(await registry.aliases()).toEqual({ champion: 'm-new', challenger: 'm-bare' });
  });

  it('shows one version: lineage, metrics, aliases and keys', async () => {
    const { stdout } = await churnModel(['show', 'm-new']);

    expect(stdout).toMatch(/^model m-new$/m);
    expect(stdout).toMatch(/^ {2}aliases\s+champion$/m);
    expect(stdout).toMatch(/^ {2}snapshots\s+2025-03-01 \(label window 30 days\)$/m);
    expect(stdout).toMatch(/^ {2}evaluated on\s+holdout 2025-04-15$/m);
    expect(stdout).toMatch(/^ {2}code version\s+abc1234$/m);
    expect(stdout).toMatch(/^ {2}ROC-AUC\s+0\.8005$/m);
    expect(stdout).toMatch(/^ {2}PR-AUC\s+0\.4000$/m);
    expect(stdout).toContain(`s3://${bucket}/models/m-new/manifest.json`);
  });

  it('rolls back and prints from and to, then fails clearly when there is nothing left', async () => {
    const back = await churnModel(['rollback', '--reason', 'drift']);
    const history = await churnModel(['history']);

    expect(back.stdout).toBe('champion: m-new -> m-old (rolled back: drift)\n');
    expect(history.stdout.trimEnd().split('\n').slice(0, 2)).toEqual([
      'rev  at                action    version  previous  reason',
      '  3  2025-06-05 09:30  rollback  m-old    m-new     drift',
    ]);
    await expect(churnModel(['rollback'])).rejects.toThrow(
      'champion m-old has no earlier version to roll back to; promote another version instead',
    );
    expect((await registry.aliases()).champion).toBe('m-old');
  });

  it('fails clearly on an unknown version, and on an invalid one', async () => {
    await expect(churnModel(['promote', 'nope'])).rejects.toThrow(/^model version nope is not registered/);
    await expect(churnModel(['show', 'nope'])).rejects.toThrow(/^model version nope is not registered/);
    await expect(churnModel(['promote', '../x'])).rejects.toThrow(/^version: expected 1-100 letters/);
  });

  it('registers an artifact directory written by churn train, once', async () => {
    const directory = join(work, 'm-dir');
    await writeArtifactDirectory(
      directory,
      fakeArtifact('m-dir', { evaluated_on: 'holdout 2025-04-15', roc_auc: 0.75 }),
    );

    const run = await churnModel(['register', directory, '--horizon', '14', '--code-version', 'def5678']);

    expect(run.stdout).toContain(
      `registered m-dir: 3 files in s3://${bucket}/models/m-dir/ (ROC-AUC 0.7500)`,
    );
    expect(await registry.get('m-dir')).toMatchObject({
      registeredAt: '2025-06-05T09:30:00.000Z',
      lineage: {
        snapshots: ['2025-03-01', '2025-03-16'],
        holdout: '2025-04-15',
        horizonDays: 14,
        codeVersion: 'def5678',
        params: { folds: 3, seed: 7 },
      },
    });
    await expect(
      churnModel(['register', directory, '--horizon', '14', '--code-version', 'def5678']),
    ).rejects.toThrow(/model version m-dir is registered already; versions are immutable/);
    await expect(churnModel(['register', join(work, 'missing'), '--horizon', '14'])).rejects.toThrow(
      /missing: no such artifact directory/,
    );
  });

  it('says how to reach a registry when no local cloud runs and AWS is not configured', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'churn-model-empty-'));
    try {
      const program = new Command().exitOverride();
      registerModel(program, {
        stdout: { write: () => true },
        stderr: { write: () => true },
        env: {},
        now: () => new Date(),
      });
      await expect(
        program.parseAsync(['node', 'churn', 'model', 'list', '--data-dir', empty]),
      ).rejects.toThrow(
        /no model registry to use: start the local cloud with `churn local up`.*or set MODEL_BUCKET and OPERATIONS_TABLE/,
      );
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('is registered in the churn program, with examples in --help', async () => {
    const program = buildProgram();
    let help = '';
    const model = program.commands.find((command) => command.name() === 'model');
    // Subcommands copy the output settings when they are created, so configure the one that prints.
    model?.configureOutput({ writeOut: (text) => (help += text), writeErr: () => undefined });

    expect(model?.commands.map((command) => command.name())).toEqual([
      'list',
      'show',
      'register',
      'promote',
      'rollback',
      'history',
    ]);
    await expect(program.parseAsync(['node', 'churn', 'model', '--help'])).rejects.toMatchObject({
      code: 'commander.helpDisplayed',
    });
    expect(help).toContain('churn model promote 20250601-120000 --reason');
    expect(help).toContain('churn model rollback');
  });
});
