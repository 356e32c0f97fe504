import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_NODE_FEATURES,
  GRAPH_ARTIFACT_FORMAT,
  type GraphArtifact,
  GraphArtifactError,
  type GraphModel,
  loadGraphModel,
  NEIGHBOURHOOD_COLUMNS,
  trainGraphModel,
} from '../../../../ml/models/graph/index.js';
import { plantedSnapshot } from './helpers.js';

/** What a registry stores: the metadata as JSON text, the weights as a separate binary file. */
function throughFiles(artifact: GraphArtifact): GraphArtifact {
  const json = JSON.stringify({ format: artifact.format, version: artifact.version, meta: artifact.meta });
  return { ...JSON.parse(json), weights: Uint8Array.from(artifact.weights) } as GraphArtifact;
}

describe('graph model artifact', () => {
  const train = [plantedSnapshot(500, 31, 'gone'), plantedSnapshot(500, 32, 'gone')];
  const test = plantedSnapshot(700, 33, 'gone');
  let model: GraphModel;
  let artifact: GraphArtifact;

  beforeAll(async () => {
    model = await trainGraphModel(train, { hiddenUnits: 8, batchSize: 64, epochs: 3, seed: 4 });
    artifact = await model.toArtifact();
  });
  afterAll(() => model?.dispose());

  it('describes the model: format, columns, normalisation, tensors, training', () => {
    const { meta } = artifact;
    expect(artifact.format).toBe(GRAPH_ARTIFACT_FORMAT);
    expect(artifact.version).toBe(1);
    const columns = [...DEFAULT_NODE_FEATURES.map((spec) => spec.name), ...NEIGHBOURHOOD_COLUMNS, 'gone'];
    expect(meta.columns).toEqual(columns);
    expect(meta.normaliser.mean).toHaveLength(columns.length);
    expect(meta.normaliser.std.every((value) => value > 0)).toBe(true);
    const width = columns.length;
    expect(meta.weights).toEqual([
      { name: 'sage1/kernel', shape: [2 * width, 8] },
      { name: 'sage1/bias', shape: [8] },
      { name: 'sage2/kernel', shape: [16, 8] },
      { name: 'sage2/bias', shape: [8] },
      { name: 'head/kernel', shape: [8, 1] },
      { name: 'head/bias', shape: [1] },
    ]);
    expect(artifact.weights.byteLength).toBe(4 * (2 * width * 8 + 8 + 16 * 8 + 8 + 8 + 1));
    expect(meta.params).toEqual(model.params);
    expect(meta.training).toMatchObject({ snapshots: 2, validation: 'holdout', backend: expect.any(String) });
    expect(Number.isFinite(meta.highRiskMargin)).toBe(true);
  });

  it('loads back (through JSON and a byte copy) and predicts bit for bit the same', async () => {
    const loaded = await loadGraphModel(throughFiles(artifact));
    try {
      expect(Array.from(await loaded.predictMargin(test))).toEqual(
        Array.from(await model.predictMargin(test)),
      );
      expect(loaded.highRiskMargin).toBe(model.highRiskMargin);
      expect(loaded.params).toEqual(model.params);
      const again = await loaded.toArtifact();
      expect(Array.from(again.weights)).toEqual(Array.from(artifact.weights));
      expect(again.meta).toEqual(artifact.meta);
    } finally {
      loaded.dispose();
    }
  });

  it('names the field that is wrong', async () => {
    const broken = (edit: (copy: Record<string, unknown> & { meta: Record<string, unknown> }) => void) => {
      const copy = throughFiles(artifact) as unknown as Record<string, unknown> & {
        meta: Record<string, unknown>;
      };
      edit(copy);
      return loadGraphModel(copy as unknown as GraphArtifact);
    };
    await expect(
      broken((copy) => {
        copy.format = 'churn-radar/sequence';
      }),
    ).rejects.toThrow(/^format: expected "churn-radar\/graph"/);
    await expect(
      broken((copy) => {
        copy.version = 2;
      }),
    ).rejects.toThrow(/^version: expected 1/);
    await expect(
      broken((copy) => {
        (copy.meta.normaliser as { std: number[] }).std[2] = 0;
      }),
    ).rejects.toThrow(/^meta\.normaliser\.std\[2\]: expected a positive number/);
    await expect(
      broken((copy) => {
        (copy.meta.params as Record<string, unknown>).hiddenUnits = 9;
      }),
    ).rejects.toThrow(/^meta\.weights\[0\]\.shape: expected \[\d+, 9\]/);
    await expect(
      broken((copy) => {
        (copy.meta.params as Record<string, unknown>).fanOuts = [3];
      }),
    ).rejects.toThrow(/^meta\.params\.fanOuts: expected one fan-out per layer/);
    await expect(
      broken((copy) => {
        copy.weights = (copy.weights as Uint8Array).subarray(4);
      }),
    ).rejects.toThrow(/^weights: expected \d+ bytes/);
    await expect(
      broken((copy) => {
        (copy.meta.columns as string[])[0] = 'sessions_7d';
      }),
    ).rejects.toThrow(/^meta\.columns\[0\]: expected "active_days_7d"/);
    await expect(
      broken((copy) => {
        copy.meta.highRiskMargin = 'high';
      }),
    ).rejects.toThrow(GraphArtifactError);
  });
});
