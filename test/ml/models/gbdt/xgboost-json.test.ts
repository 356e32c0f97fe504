import { describe, expect, it } from 'vitest';
import { GbdtModelFormatError, loadModel, saveModel } from '../../../../ml/models/gbdt/model-json.js';
import { loadXgboostModel, parseXgboostJson } from '../../../../ml/models/gbdt/xgboost-json.js';
import { maxAbsDifference, xgboostFixture } from './helpers.js';

describe('loadXgboostModel', () => {
  it.each(['numeric', 'categorical'] as const)(
    'scores the %s fixture as XGBoost 1.7 does: same leaves, margins within float32 rounding',
    (name) => {
      const fixture = xgboostFixture(name);
      const model = loadXgboostModel(fixture.model);
      expect(model.features).toHaveLength(fixture.features);
      expect(model.predictLeaves(fixture.values, fixture.rows)).toEqual(
        Int32Array.from(fixture.leaves.flat()),
      );
      // XGBoost adds leaves in float32, this scorer in float64.
      expect(
        maxAbsDifference(model.predictMargin(fixture.values, fixture.rows), fixture.margins),
      ).toBeLessThan(1e-6);
      for (let row = 0; row < fixture.rows; row++) {
        expect(model.predictRowMargin(fixture.values, row * fixture.features)).toBe(
          model.predictMargin(fixture.values, fixture.rows)[row],
        );
      }
    },
  );

  it('reads the base score, categorical feature types and the XGBoost version', () => {
    const numeric = loadXgboostModel(xgboostFixture('numeric').model);
    expect(numeric.baseMargin).toBeCloseTo(Math.log(0.3 / 0.7), 6);
    expect(numeric.source).toBe('xgboost 1.7.4');
    const categorical = loadXgboostModel(xgboostFixture('categorical').model);
    expect(categorical.features.map((feature) => feature.kind)).toEqual([
      'numeric',
      'numeric',
      'numeric',
      'categorical',
      'categorical',
    ]);
    expect(categorical.trees.some((tree) => tree.categories.size > 0)).toBe(true);
  });

  it('survives a save/load round trip in our own format with identical scores', () => {
    const fixture = xgboostFixture('categorical');
    const model = loadXgboostModel(fixture.model);
    const again = loadModel(saveModel(model));
    expect(again.predictMargin(fixture.values, fixture.rows)).toEqual(
      model.predictMargin(fixture.values, fixture.rows),
    );
  });

  it('parses the NaN and Infinity tokens XGBoost writes, but not inside strings', () => {
    expect(parseXgboostJson('{"a":[NaN,Infinity,-Infinity,1],"b":"NaN Infinity"}')).toEqual({
      a: [null, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1],
      b: 'NaN Infinity',
    });
  });

  it('rejects what it cannot score, saying why', () => {
    const json = JSON.parse(xgboostFixture('numeric').model.replace(/NaN/g, 'null'));
    json.learner.objective.name = 'reg:squarederror';
    expect(() => loadXgboostModel(json)).toThrow(/objective reg:squarederror is not supported/);
    json.learner.objective.name = 'binary:logistic';
    json.learner.gradient_booster.name = 'dart';
    expect(() => loadXgboostModel(json)).toThrow(/booster dart is not supported/);
    expect(() => loadXgboostModel('{"learner":{}}')).toThrow(GbdtModelFormatError);
    expect(() => loadXgboostModel('{"learner":{}}')).toThrow(/learner_model_param/);
    expect(() => loadXgboostModel('binary garbage')).toThrow(/not JSON/);
  });
});
