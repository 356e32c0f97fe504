import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import {
  decodeSnapshot,
  encodeSnapshot,
  SEQUENCE_DAYS,
  SnapshotDataError,
  type SnapshotRecord,
  snapshotBucketKey,
  snapshotManifestKey,
} from '../../../functions/shared/snapshot-store.js';
import { computeFeatures, FEATURE_DEFINITIONS } from '../../../ml/features/features.js';
import { SEQUENCE_CHANNELS } from '../../../ml/features/sequence.js';

function record(userId: string, label: 0 | 1 | null): SnapshotRecord {
  const sequence = new Float32Array(SEQUENCE_DAYS * SEQUENCE_CHANNELS.length);
  for (let index = 0; index < sequence.length; index += 7) sequence[index] = Math.log1p(index) / 3;
  return {
    user_id: userId,
    as_of: '2025-03-01',
    label,
    churn_date: label === 1 ? '2025-03-10T00:00:00.000Z' : null,
    features: { ...computeFeatures({ userId, days: {} }, '2025-03-01'), trend_minutes_14d: 0.1 + 0.2 },
    activity_sequence: sequence,
    neighbours: label === null ? [] : ['u-7', 'ü-8'],
  };
}

describe('snapshot files', () => {
  it('lays keys out by as-of, horizon and bucket', () => {
    expect(snapshotBucketKey('2025-03-01', 30, 7)).toBe(
      'snapshots/as_of=2025-03-01/horizon=30/bucket=07.parquet',
    );
    expect(snapshotManifestKey('2025-03-01', 30)).toBe('snapshots/as_of=2025-03-01/horizon=30/manifest.json');
    expect(() => snapshotBucketKey('2025-3-1', 30, 7)).toThrow(
      'asOf: expected a calendar day YYYY-MM-DD, got "2025-3-1"',
    );
    expect(() => snapshotBucketKey('2025-03-01', 30, 16)).toThrow(
      /bucket: expected a whole number from 0 to 15/,
    );
  });

  it('round-trips records exactly, floats and unicode included', async () => {
    const records = [record('u-1', 1), record('u-2', 0), record('u-3', null)];

    expect(await decodeSnapshot(encodeSnapshot(records))).toEqual(records);
    expect(await decodeSnapshot(encodeSnapshot([]))).toEqual([]);
  });

  it('stores one typed column per feature, so any Parquet reader sees a plain table', async () => {
    const bytes = encodeSnapshot([record('u-1', 1)]);
    const file = bytes.slice().buffer;
    const metadata = parquetMetadata(file);
    const types = new Map(metadata.schema.slice(1).map((element) => [element.name, element.type]));

    for (const definition of FEATURE_DEFINITIONS) {
      expect(types.get(definition.name), definition.name).toBe(
        definition.kind === 'numeric' ? 'DOUBLE' : 'BYTE_ARRAY',
      );
    }
    expect(types.get('label')).toBe('INT32');
    expect(metadata.key_value_metadata).toContainEqual({ key: 'churn_radar.sequence_days', value: '90' });
    const [row] = (await parquetReadObjects({ file })) as Record<string, unknown>[];
    expect(row?.neighbours).toBe('["u-7","ü-8"]');
  });

  it('names the column when a file does not have the expected shape', async () => {
    const bad = { ...record('u-1', 1), activity_sequence: new Float32Array(3) };
    expect(() => encodeSnapshot([bad])).toThrow(
      /activity_sequence of u-1: expected 90 days x 6 channels \(540 values\), got 3/,
    );

    const { parquetWriteBuffer } = await import('hyparquet-writer');
    const partial = new Uint8Array(
      parquetWriteBuffer({ columnData: [{ name: 'user_id', data: ['u-1'], type: 'STRING' }] }),
    );
    await expect(decodeSnapshot(partial)).rejects.toBeInstanceOf(SnapshotDataError);
    await expect(decodeSnapshot(partial)).rejects.toThrow(/missing column\(s\) as_of, label, churn_date/);
  });
});
