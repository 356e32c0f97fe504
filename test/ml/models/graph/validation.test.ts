import { describe, expect, it } from 'vitest';
import {
  GraphDataError,
  type GraphExample,
  resolveGraphParams,
  trainGraphModel,
} from '../../../../ml/models/graph/index.js';
import { plantedSnapshot } from './helpers.js';

function withExample(
  examples: GraphExample[],
  index: number,
  change: Record<string, unknown>,
): GraphExample[] {
  const copy = [...examples];
  copy[index] = { ...(examples[index] as GraphExample), ...change } as GraphExample;
  return copy;
}

describe('graph model input checks', () => {
  const snapshot = plantedSnapshot(40, 41, 'gone');

  it('names the example and feature that is missing or not a number', async () => {
    const features = { ...(snapshot[3] as GraphExample).features } as Record<string, unknown>;
    delete features.tenure_days;
    await expect(trainGraphModel([snapshot, withExample(snapshot, 3, { features })])).rejects.toThrow(
      'snapshots[1][3].features.tenure_days: expected a finite number, got nothing',
    );
    await expect(
      trainGraphModel([
        withExample(snapshot, 5, { features: { ...snapshot[5]?.features, is_cancelled: 'yes' } }),
      ]),
    ).rejects.toThrow('snapshots[0][5].features.is_cancelled: expected a finite number, got "yes"');
  });

  it('names bad labels, ids and neighbour lists', async () => {
    await expect(trainGraphModel([withExample(snapshot, 2, { label: 2 })])).rejects.toThrow(
      'snapshots[0][2].label: expected 0, 1 or null, got 2',
    );
    await expect(
      trainGraphModel([withExample(snapshot, 7, { user_id: snapshot[1]?.user_id })]),
    ).rejects.toThrow(/^snapshots\[0\]\[7\]\.user_id: ".+" appears twice/);
    await expect(trainGraphModel([withExample(snapshot, 4, { user_id: '' })])).rejects.toThrow(
      'snapshots[0][4].user_id: expected a non-empty string',
    );
    await expect(trainGraphModel([withExample(snapshot, 6, { neighbours: ['a', 3] })])).rejects.toThrow(
      'snapshots[0][6].neighbours[1]: expected a user id, got 3',
    );
    await expect(trainGraphModel([withExample(snapshot, 6, { neighbours: 'a' })])).rejects.toThrow(
      'snapshots[0][6].neighbours: expected an array of user ids',
    );
    await expect(trainGraphModel([])).rejects.toThrow(/^snapshots: expected at least one snapshot/);
    const unlabelled = snapshot.map((example) => ({ ...example, label: 0 as const }));
    await expect(trainGraphModel([unlabelled])).rejects.toThrow(
      /^snapshots: expected labelled churners \(1\) and non-churners \(0\)/,
    );
  });

  it('names the parameter and the rule it breaks', async () => {
    expect(() => resolveGraphParams({ fanOuts: [10] })).toThrow(
      'params.fanOuts: expected one fan-out per layer (2), got [10]',
    );
    expect(() => resolveGraphParams({ layers: 4, fanOuts: [1, 1, 1, 1] })).toThrow(
      'params.layers: expected an integer from 1 to 3, got 4',
    );
    expect(() => resolveGraphParams({ learningRate: 0 })).toThrow(
      'params.learningRate: expected a number above 0',
    );
    expect(() => resolveGraphParams({ nodeFeatures: [{ name: 'plan', transform: 'identity' }] })).toThrow(
      'params.nodeFeatures[0].name: expected a numeric feature (this one is categorical), got "plan"',
    );
    expect(() =>
      resolveGraphParams({ nodeFeatures: [{ name: 'tenure_days', transform: 'sqrt' as 'log1p' }] }),
    ).toThrow(
      "params.nodeFeatures[0].transform: expected 'log1p', 'signed-log1p' or 'identity', got \"sqrt\"",
    );
    expect(() => resolveGraphParams({ hidenUnits: 3 } as never)).toThrow(
      'params.hidenUnits: unknown parameter',
    );
    await expect(trainGraphModel([snapshot], { batchSize: 0 })).rejects.toBeInstanceOf(GraphDataError);
    // Defaults resolve, and a valid override is kept.
    expect(resolveGraphParams({ layers: 1, fanOuts: [4] })).toMatchObject({
      layers: 1,
      fanOuts: [4],
      hiddenUnits: 32,
    });
  });
});
