#!/usr/bin/env python3
"""XGBoost reference for bench/gbdt.ts: trains on the matrices the bench wrote and prints one
JSON line with the training time (best of REPEATS back-to-back runs), the test ROC-AUC and the
batch prediction throughput.

    /usr/bin/python3 bench/reference/xgb_reference.py DIR [REPEATS]

DIR holds meta.json (rows, features, feature types, parameters) and float32 little-endian
matrices x_train.f32, y_train.f32, x_test.f32, y_test.f32 (NaN = missing). The timed part is
what a user pays to train from a matrix: DMatrix construction (the hist quantisation happens
inside train) plus xgb.train.
"""
import json
import os
import sys
import time

import numpy as np
import xgboost as xgb
from sklearn.metrics import roc_auc_score


def load(directory, name, columns):
    values = np.fromfile(os.path.join(directory, name), dtype='<f4')
    return values.reshape(-1, columns) if columns > 1 else values


def main():
    directory = sys.argv[1]
    with open(os.path.join(directory, 'meta.json')) as handle:
        meta = json.load(handle)
    columns = meta['features']
    types = meta['feature_types']
    x_train = load(directory, 'x_train.f32', columns)
    y_train = load(directory, 'y_train.f32', 1)
    x_test = load(directory, 'x_test.f32', columns)
    y_test = load(directory, 'y_test.f32', 1)
    categorical = 'c' in types
    params = dict(meta['params'])
    rounds = params.pop('num_boost_round')

    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    runs = []
    for _ in range(repeats):
        cpu_started = time.process_time()
        started = time.perf_counter()
        train = xgb.DMatrix(x_train, label=y_train, feature_types=types, enable_categorical=categorical)
        booster = xgb.train(params, train, num_boost_round=rounds)
        runs.append((time.perf_counter() - started, time.process_time() - cpu_started))
    train_s, train_cpu_s = min(runs)

    test = xgb.DMatrix(x_test, feature_types=types, enable_categorical=categorical)
    predictions = booster.predict(test)
    auc = roc_auc_score(y_test, predictions)

    # Batch throughput as a user would call it from a matrix: DMatrix plus predict, best of three.
    best = float('inf')
    for _ in range(3):
        began = time.perf_counter()
        booster.predict(xgb.DMatrix(x_test, feature_types=types, enable_categorical=categorical))
        best = min(best, time.perf_counter() - began)

    print(json.dumps({
        'xgboost': xgb.__version__,
        'train_s': train_s,
        'train_cpu_s': train_cpu_s,
        'train_runs_s': [run[0] for run in runs],
        'auc': auc,
        'predict_rows_per_s': x_test.shape[0] / best,
        'trees': len(booster.get_dump()),
    }))


if __name__ == '__main__':
    main()
