#!/usr/bin/env python3
"""Makes the XGBoost fixtures that test/ml/models/gbdt reads (no Python at test time).

    apt-get install -y python3-xgboost   # XGBoost 1.7 (Debian bookworm)
    /usr/bin/python3 bench/reference/make_xgb_fixture.py

Writes, per fixture, to test/fixtures/xgboost/:
  <name>.model.json     the model as XGBoost saves it (booster.save_model)
  <name>.expected.json  scoring rows (null = missing) and what XGBoost says about them:
                        margins (output_margin), leaves (pred_leaf), contributions (pred_contribs)

Fixtures:
  numeric      6 numeric features, one with 20% missing values, base_score 0.3, depth 4, 20 trees
  categorical  3 numeric + 2 categorical features (partition and one-hot splits), 15 trees
"""
import json
import os

import numpy as np
import xgboost as xgb

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', '..', 'test', 'fixtures', 'xgboost')
SCORED_ROWS = 60


def numeric_data(rng, rows):
    x = rng.normal(size=(rows, 6)).astype(np.float32)
    x[rng.random(rows) < 0.2, 4] = np.nan
    logit = 1.2 * x[:, 0] - 0.8 * x[:, 1] * x[:, 2] + np.where(np.isnan(x[:, 4]), 1.0, np.sin(2 * x[:, 4]))
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.float32)
    return x, y


def categorical_data(rng, rows):
    x = np.empty((rows, 5), dtype=np.float32)
    x[:, :3] = rng.normal(size=(rows, 3))
    x[:, 3] = rng.integers(0, 8, size=rows)  # 8 categories: partition splits
    x[:, 4] = rng.integers(0, 3, size=rows)  # 3 categories: one-hot splits
    x[rng.random(rows) < 0.1, 3] = np.nan
    effect = np.array([1.0, -1.0, 0.5, -0.5, 1.5, 0.0, -1.5, 0.8])
    code = np.nan_to_num(x[:, 3], nan=0).astype(int)
    logit = x[:, 0] + np.where(np.isnan(x[:, 3]), 0.7, effect[code]) + np.where(x[:, 4] == 2, 1.0, -0.5)
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.float32)
    return x, y


def as_json_rows(x):
    return [[None if np.isnan(v) else float(v) for v in row] for row in x]


def write(name, booster, dmatrix, scored):
    booster.save_model(os.path.join(OUT, f'{name}.model.json'))
    expected = {
        'xgboost': xgb.__version__,
        'rows': scored.shape[0],
        'features': scored.shape[1],
        'values': as_json_rows(scored),
        'margins': [float(v) for v in booster.predict(dmatrix, output_margin=True)],
        'leaves': booster.predict(dmatrix, pred_leaf=True).astype(int).tolist(),
        'contributions': [[float(v) for v in row] for row in booster.predict(dmatrix, pred_contribs=True)],
    }
    with open(os.path.join(OUT, f'{name}.expected.json'), 'w') as handle:
        json.dump(expected, handle)
        handle.write('\n')


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240607)

    x, y = numeric_data(rng, 600)
    train = xgb.DMatrix(x, label=y)
    params = {
        'objective': 'binary:logistic', 'tree_method': 'hist', 'max_depth': 4, 'eta': 0.3,
        'base_score': 0.3, 'min_child_weight': 2, 'lambda': 1.5, 'nthread': 1, 'seed': 0,
    }
    booster = xgb.train(params, train, num_boost_round=20)
    scored, _ = numeric_data(rng, SCORED_ROWS)
    write('numeric', booster, xgb.DMatrix(scored), scored)

    x, y = categorical_data(rng, 800)
    types = ['q', 'q', 'q', 'c', 'c']
    train = xgb.DMatrix(x, label=y, feature_types=types, enable_categorical=True)
    params = {
        'objective': 'binary:logistic', 'tree_method': 'hist', 'max_depth': 3, 'eta': 0.3,
        'max_cat_to_onehot': 4, 'nthread': 1, 'seed': 0,
    }
    booster = xgb.train(params, train, num_boost_round=15)
    scored, _ = categorical_data(rng, SCORED_ROWS)
    # Codes the model never saw and a negative one, to check how unseen categories are routed.
    scored[0, 3] = 11
    scored[1, 4] = 7
    write('categorical', booster, xgb.DMatrix(scored, feature_types=types, enable_categorical=True), scored)


if __name__ == '__main__':
    main()
