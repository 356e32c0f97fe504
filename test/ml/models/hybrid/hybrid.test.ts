import { beforeAll, describe, expect, it } from 'vitest';
import { rocAuc } from '../../../../ml/eval/index.js';
import { addDays } from '../../../../ml/features/index.js';
import {
  evaluateHybrid,
  type HybridModel,
  type HybridTraining,
  ModelArtifactError,
  modelFromFiles,
  modelToFiles,
  trainHybrid,
} from '../../../../ml/models/hybrid/index.js';
import {
  type SimulatedExample,
  simulatedExamples,
  simulateHistories,
} from '../../../../ml/simulate/histories.js';

/**
 * One small seeded service trained once for every test: 3,000 customers, three training cut-offs
 * and a later holdout, every component with short schedules (the quality bench runs the real ones).
 */
let training: HybridTraining;
let model: HybridModel;
let holdout: SimulatedExample[];
let trainRows: SimulatedExample[];

beforeAll(async () => {
  const { result, histories, labels } = simulateHistories({ customers: 3_000, days: 150, seed: 5 });
  const asOf = (day: number) => addDays(result.options.start, day);
  trainRows = [60, 75, 90].flatMap((day) => simulatedExamples(histories, labels, asOf(day)));
  holdout = simulatedExamples(histories, labels, asOf(120));
  training = await trainHybrid(trainRows, {
    folds: 2,
    seed: 3,
    gbdt: { rounds: 200, earlyStoppingRounds: 20 },
    sequence: { epochs: 3, patience: 1 },
    graph: { epochs: 10, patience: 3 },
  });
  model = training.model;
}, 300_000);

describe('trainHybrid', () => {
  it('stacks all three parts and clears quality floors on a time split', async () => {
    expect(model.components).toEqual(['gbdt', 'sequence', 'graph']);
    const { evaluation } = await evaluateHybrid(model, holdout);
    // Measured on this seed: holdout stack ~0.80; each part ~0.76-0.80.
    expect(evaluation.report.rocAuc).toBeGreaterThan(0.75);
    for (const name of ['gbdt', 'sequence', 'graph'])
      expect(evaluation.componentAuc[name], name).toBeGreaterThan(0.68);
    expect(training.outOfFold.auc.stack).toBeGreaterThan(0.72);
    expect(evaluation.report.expectedCalibrationError).toBeLessThan(0.05);
  });

  it('picks a threshold inside the score range and records what it trained on', () => {
    expect(model.decision.threshold).toBeGreaterThan(0);
    expect(model.decision.threshold).toBeLessThan(1);
    expect(model.decision.bands.medium).toBeLessThanOrEqual(model.decision.bands.high);
    expect(model.training.snapshots).toEqual(['2025-03-02', '2025-03-17', '2025-04-01']);
    expect(model.training.rows).toBe(trainRows.filter((row) => row.label !== null).length);
    expect(model.baseline.features.map((feature) => feature.name)).toEqual(
      model.encoder.features.map((spec) => spec.name),
    );
    expect(model.baseline.score.quantiles).toHaveLength(101);
  });

  it('scores out-of-fold rows only with models that never saw the customer', () => {
    // Every labelled row has an out-of-fold probability; their AUC is an honest estimate.
    const { probabilities, labels } = training.outOfFold;
    expect(probabilities.length).toBe(labels.length);
    expect(rocAuc(probabilities, labels)).toBeCloseTo(training.outOfFold.auc.stack ?? 0, 10);
  });

  it('rejects data without churners, naming the problem', async () => {
    await expect(
      trainHybrid(trainRows.slice(0, 50).map((row) => ({ ...row, label: 0 as const }))),
    ).rejects.toThrow(/need churners and non-churners/);
  });
});

describe('model artifact', () => {
  it('round trips exactly: the same probabilities from the loaded files', async () => {
    const sample = holdout.slice(0, 400);
    const before = await model.score(sample);
    const files = await modelToFiles(model, 'test-1', '2025-06-01T00:00:00.000Z');
    expect([...files.keys()].sort()).toEqual([
      'baseline.json',
      'gbdt.json',
      'graph.json',
      'graph.weights.bin',
      'manifest.json',
      'sequence.json',
      'sequence.weights.bin',
      'stacker.json',
    ]);
    const loaded = await modelFromFiles(files);
    const after = await loaded.score(sample);
    expect(after.map((score) => score.churnProbability)).toEqual(
      before.map((score) => score.churnProbability),
    );
    expect(loaded.decision).toEqual(model.decision);
    loaded.dispose();
  });

  it('refuses a file that changed after registration', async () => {
    const files = await modelToFiles(model, 'test-2', '2025-06-01T00:00:00.000Z');
    const stacker = files.get('stacker.json') as Uint8Array;
    files.set(
      'stacker.json',
      new TextEncoder().encode(new TextDecoder().decode(stacker).replace('"logistic"', '"logistic" ')),
    );
    await expect(modelFromFiles(files)).rejects.toThrow(ModelArtifactError);
    await expect(modelFromFiles(files)).rejects.toThrow(/stacker\.json: content does not match/);
  });
});

describe('scoring and explanations', () => {
  it('gives every high-risk customer plain-language reasons with an action', async () => {
    const explained = await model.explain(holdout.slice(0, 600));
    const risky = explained.filter((row) => row.riskBand === 'high');
    expect(risky.length).toBeGreaterThan(0);
    for (const row of risky) {
      expect(row.explanation.reasons.length).toBeGreaterThan(0);
      expect(row.explanation.reasons[0]?.text).toMatch(/\w/);
      expect(row.explanation.action).not.toBe('no_action');
    }
    // The evidence adds up to the stack margin's deviation from the boosting part's expectation.
    const row = explained[0];
    expect(row?.evidence.featureContributions).toBeDefined();
  });

  it('scores one customer alone like in a batch, except for the neighbourhood', async () => {
    const batch = await model.score(holdout.slice(0, 50));
    const single = await model.score([holdout[7] as SimulatedExample], {
      graphMargins: new Map([[batch[7]?.user_id ?? '', batch[7]?.components.graph ?? 0]]),
    });
    expect(single[0]?.churnProbability).toBeCloseTo(batch[7]?.churnProbability ?? -1, 5);
  });
});
