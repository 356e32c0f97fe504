import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../../functions/shared/clients.js';
import { S3Lakehouse } from '../../../functions/shared/lakehouse.js';
import { type ImportIo, registerImport } from '../../../local/cli/commands/import.js';
import { readLocalEndpoints, writeLocalEndpoints } from '../../../local/cli/endpoints-file.js';
import { type LocalCloud, startLocalCloud } from '../../../local/cloud/local-cloud.js';

const telcoPath = fileURLToPath(new URL('../../../../shared/data/telco-customer-churn.csv', import.meta.url));
const telcoPresent = existsSync(telcoPath);
if (!telcoPresent) console.warn(`skipping the Telco CLI import: ${telcoPath} is absent`);

interface Run {
  stdout: string;
  stderr: string;
}

async function churnImport(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: ImportIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text), isTTY: false },
    env,
    now: () => new Date('2025-06-01T12:00:00Z'),
  };
  const program = new Command().exitOverride().configureOutput({ writeErr: (text) => (stderr += text) });
  registerImport(program, io);
  try {
    await program.parseAsync(['node', 'churn', 'import', ...args]);
  } catch (error) {
    Object.assign(error as object, { stdout, stderr });
    throw error;
  }
  return { stdout, stderr };
}

/** The numbers of a file's row in the counts table: read, accepted, rejected, sent/written, failed. */
function countsOf(stdout: string, file: string): number[] {
  const line = stdout.split('\n').find((row) => row.startsWith(`${file} `));
  if (line === undefined) throw new Error(`no counts row for ${file} in:\n${stdout}`);
  return line
    .trim()
    .split(/\s{2,}/)
    .slice(1)
    .map((cell) => Number(cell.replace(/,/g, '')));
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

describe('churn import against the local cloud', () => {
  let cloud: LocalCloud;
  let dataDir: string;
  let work: string;
  let lakehouse: S3Lakehouse;

  beforeAll(async () => {
    cloud = await startLocalCloud();
    dataDir = await mkdtemp(join(tmpdir(), 'churn-import-'));
    work = await mkdtemp(join(tmpdir(), 'churn-import-files-'));
    await writeLocalEndpoints(dataDir, cloud);
    lakehouse = new S3Lakehouse(cloud.clients.s3, cloud.names.buckets.LakehouseBucket ?? '');
  });
  afterAll(async () => {
    await cloud.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  it.skipIf(!telcoPresent)(
    'imports the Telco table as profiles into the lakehouse and the feature table, blanks and all',
    async () => {
      const rejects = join(work, 'telco-profile-rejects.jsonl');

      const run = await churnImport([
        'profiles',
        telcoPath,
        '--id',
        'customerID',
        '--dataset',
        'telco',
        '--drop',
        'Churn',
        '--data-dir',
        dataDir,
        '--rejects',
        rejects,
      ]);

      expect(countsOf(run.stdout, 'telco-customer-churn.csv')).toEqual([7043, 7043, 0, 7043, 0]);
      expect(run.stdout).toContain('TotalCharges (11 missing)');
      expect(run.stdout).toMatch(
        /4 numeric attribute\(s\): SeniorCitizen, tenure, MonthlyCharges, TotalCharges \(11 missing\); 15 categorical/,
      );
      expect(run.stdout).toContain('rejects: none');
      expect(existsSync(rejects)).toBe(false);

      const profiles = await collect(lakehouse.readProfiles('telco'));
      expect(profiles).toHaveLength(7043);
      expect(profiles.filter((profile) => profile.attributes.TotalCharges === null)).toHaveLength(11);

      const documents = createDocumentClient(cloud.clients.dynamodb);
      const table = cloud.names.tables.FeatureTable ?? '';
      const item = await documents.send(
        new GetCommand({ TableName: table, Key: { pk: 'c#4472-LVYGI', sk: 'profile' } }),
      );
      expect(item.Item).toMatchObject({
        user_id: '4472-LVYGI',
        updated_at: '2025-06-01T12:00:00.000Z',
        attributes: { TotalCharges: null, MonthlyCharges: 52.55, Contract: 'Two year', tenure: 0 },
      });
      let count = 0;
      let start: Record<string, unknown> | undefined;
      do {
        const page = await documents.send(
          new ScanCommand({ TableName: table, Select: 'COUNT', ExclusiveStartKey: start }),
        );
        count += page.Count ?? 0;
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      expect(count).toBe(7043);
    },
  );

  it.skipIf(!telcoPresent)('imports the Telco churn flag as labels: 1,869 churned', async () => {
    const run = await churnImport([
      'labels',
      telcoPath,
      '--id',
      'customerID',
      '--label',
      'Churn',
      '--dataset',
      'telco',
      '--as-of',
      '2025-06-01T00:00:00Z',
      '--data-dir',
      dataDir,
    ]);

    expect(countsOf(run.stdout, 'telco-customer-churn.csv')).toEqual([7043, 7043, 0, 7043, 0]);
    expect(run.stdout).toContain('churned: 1,869 of 7,043');
    const labels = await collect(lakehouse.readLabels('telco'));
    expect(labels.filter((label) => label.churned)).toHaveLength(1869);
    expect(labels.find((label) => label.churned)).toMatchObject({ churn_date_estimated: true });
  });

  const goodEvent = (index: number) =>
    JSON.stringify({
      event_id: `cli-${index}`,
      user_id: `u-${index % 5}`,
      ts: `2025-03-0${1 + (index % 3)}T10:00:00Z`,
      type: 'buffering',
      properties: { seconds: index },
    });
  const brokenLines = [
    goodEvent(1),
    '{"event_id": ',
    JSON.stringify({ event_id: 'x-3', ts: '2025-03-01T10:00:00Z', type: 'buffering', properties: {} }),
    JSON.stringify({ event_id: 'x-4', user_id: 'u-1', ts: 'not a time', type: 'buffering', properties: {} }),
    JSON.stringify({
      event_id: 'x-5',
      user_id: 'u-1',
      ts: '2025-03-01T10:00:00Z',
      type: 'buffering',
      properties: { seconds: 'ten' },
    }),
    '',
    JSON.stringify({
      event_id: 'x-7',
      user_id: 'u-1',
      ts: '2025-03-01T10:00:00Z',
      type: 'buffering',
      properties: { pad: 'y'.repeat(2 * 1024 * 1024) },
    }),
    ...Array.from({ length: 1200 }, (_, index) => goodEvent(100 + index)),
  ];

  it('sends events to the stream in batches, writes every reject with its line and reason, and counts them', async () => {
    const file = join(work, 'events.jsonl.gz');
    await writeFile(file, gzipSync(`${brokenLines.join('\n')}\n`));
    const rejects = join(work, 'event-rejects.jsonl');

    const run = await churnImport(['events', file, '--data-dir', dataDir, '--rejects', rejects]);

    const [read, accepted, rejected, sent, failed] = countsOf(run.stdout, 'events.jsonl.gz');
    expect([read, accepted, rejected, sent, failed]).toEqual([1206, 1201, 5, 1201, 0]);
    expect((accepted ?? 0) + (rejected ?? 0)).toBe(read);
    expect(run.stdout).toContain('blank lines skipped: 1');
    expect(run.stdout).toContain(`rejects: ${rejects} (5 rejected, 0 failed)`);
    const rejectLines = (await readFile(rejects, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(rejectLines.map((entry) => [entry.line, entry.kind, entry.reason.split(':')[0]])).toEqual([
      [2, 'rejected', 'json'],
      [3, 'rejected', 'user_id'],
      [4, 'rejected', 'ts'],
      [5, 'rejected', 'properties.seconds'],
      [7, 'rejected', 'line'],
    ]);
    expect(rejectLines.every((entry) => entry.file === file)).toBe(true);

    const stream = cloud.names.streams.EventStream ?? '';
    const shards = await cloud.clients.kinesis.send(new ListShardsCommand({ StreamName: stream }));
    const ids: string[] = [];
    for (const shard of shards.Shards ?? []) {
      const iterator = await cloud.clients.kinesis.send(
        new GetShardIteratorCommand({
          StreamName: stream,
          ShardId: shard.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      let next = iterator.ShardIterator;
      while (next !== undefined) {
        const page = await cloud.clients.kinesis.send(
          new GetRecordsCommand({ ShardIterator: next, Limit: 1000 }),
        );
        for (const record of page.Records ?? [])
          ids.push(JSON.parse(Buffer.from(record.Data ?? []).toString()).event_id);
        next = (page.Records ?? []).length === 0 ? undefined : page.NextShardIterator;
      }
    }
    expect(ids.sort()).toEqual(
      ['cli-1', ...Array.from({ length: 1200 }, (_, index) => `cli-${100 + index}`)].sort(),
    );
  });

  it('backfills events straight into the lakehouse, and a second run overwrites instead of duplicating', async () => {
    const file = join(work, 'history.jsonl');
    await writeFile(file, `${brokenLines.join('\n')}\n`);

    const first = await churnImport([
      'events',
      file,
      '--backfill',
      '--data-dir',
      dataDir,
      '--rejects',
      join(work, 'r1.jsonl'),
    ]);
    await churnImport([
      'events',
      file,
      '--backfill',
      '--data-dir',
      dataDir,
      '--rejects',
      join(work, 'r2.jsonl'),
    ]);

    expect(countsOf(first.stdout, 'history.jsonl')).toEqual([1206, 1201, 5, 1201, 0]);
    const rows = await collect(lakehouse.readEvents({ fromDay: '2025-03-01', toDay: '2025-03-04' }));
    expect(rows).toHaveLength(1201);
    expect(rows.every((row) => row.source === 'import')).toBe(true);
  });

  it('maps CSV columns with --id, --ts, --type and --map', async () => {
    const file = join(work, 'crm-events.csv');
    await writeFile(
      file,
      'customer,time,what,secs\nc-1,2025-03-05T08:00:00+01:00,buffering,3\nc-2,2025-03-05T08:00:00Z,buffering,x\n',
    );

    const run = await churnImport([
      'events',
      file,
      '--backfill',
      '--id',
      'customer',
      '--ts',
      'time',
      '--type',
      'what',
      '--map',
      'secs=properties.seconds',
      '--data-dir',
      dataDir,
      '--rejects',
      join(work, 'csv-rejects.jsonl'),
    ]);

    expect(countsOf(run.stdout, 'crm-events.csv')).toEqual([2, 1, 1, 1, 0]);
    const [row] = await collect(lakehouse.readEvents({ fromDay: '2025-03-05', toDay: '2025-03-06' }));
    expect(row).toMatchObject({
      user_id: 'c-1',
      ts: '2025-03-05T07:00:00.000Z',
      properties: '{"seconds":3}',
    });
  });

  it('says what is missing when there is neither a running local cloud nor AWS configuration', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'churn-import-empty-'));
    try {
      await expect(churnImport(['events', join(work, 'history.jsonl'), '--data-dir', empty])).rejects.toThrow(
        /no event stream to import into: start the local cloud with `churn local up`.*set EVENT_STREAM/,
      );
      await expect(
        churnImport(['labels', join(work, 'history.jsonl'), '--data-dir', empty, '--endpoint-from-local']),
      ).rejects.toThrow(/--endpoint-from-local: no running local cloud recorded in/);

      // A file left behind by a local cloud that is gone is ignored, and said so.
      await writeLocalEndpoints(empty, cloud, { pid: 2 ** 22 + 12345 });
      expect((await readLocalEndpoints(empty)).state).toBe('stale');
      await expect(
        churnImport(['events', join(work, 'history.jsonl'), '--data-dir', empty], { EVENT_STREAM: 'events' }),
      ).rejects.toThrow(/AWS_REGION is not set/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
