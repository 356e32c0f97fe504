import type { ModelReportInput } from '../../ml/eval/html-report.js';
import { renderModelReport } from '../../ml/eval/html-report.js';
import { summariseDrivers } from '../../ml/explain/index.js';
import {
  type ArtifactFiles,
  evaluateHybrid,
  evaluateOutOfFold,
  type HybridEvaluation,
  type HybridExample,
  type HybridParams,
  modelToFiles,
  type TrainingProgress,
  trainHybrid,
} from '../../ml/models/hybrid/index.js';
import type { HybridModel } from '../../ml/models/hybrid/model.js';
import type { SnapshotRecord } from '../shared/snapshot-store.js';

export interface TrainModelRequest {
  /** Cut-off days of the training snapshots (all with the same horizon). */
  readonly trainAsOf: readonly string[];
  readonly horizonDays: number;
  /** A later snapshot to evaluate on (a time split); without it, the out-of-fold predictions are evaluated. */
  readonly holdoutAsOf?: string;
  readonly params?: Partial<HybridParams>;
  readonly modelVersion: string;
}

export interface TrainModelResult {
  readonly model: HybridModel;
  readonly files: ArtifactFiles;
  readonly evaluation: HybridEvaluation;
  readonly evaluatedOn: 'holdout' | 'out-of-fold';
  readonly trainingRows: number;
  readonly seconds: Readonly<Record<string, number>>;
}

export interface TrainModelDeps {
  readonly readSnapshot: (asOf: string, horizonDays: number) => AsyncIterable<SnapshotRecord>;
  readonly now: () => Date;
  readonly onProgress?: (progress: TrainingProgress) => void;
}

async function collect(records: AsyncIterable<SnapshotRecord>): Promise<HybridExample[]> {
  const examples: HybridExample[] = [];
  for await (const record of records) examples.push(record);
  return examples;
}

/**
 * Trains the hybrid model on stored snapshots, evaluates it (on a later snapshot, or out of fold),
 * and returns the artifact's files: trees, network weights, stacker, baseline, metrics and the
 * HTML report. Shared by `churn train` and the training state machine.
 */
export function makeTrainModel(deps: TrainModelDeps) {
  return async (request: TrainModelRequest): Promise<TrainModelResult> => {
    const began = performance.now();
    const examples: HybridExample[] = [];
    for (const asOf of request.trainAsOf) {
      deps.onProgress?.({
        stage: 'load',
        message: `reading snapshot as_of=${asOf} horizon=${request.horizonDays}`,
      });
      examples.push(...(await collect(deps.readSnapshot(asOf, request.horizonDays))));
    }
    const holdout =
      request.holdoutAsOf === undefined
        ? undefined
        : await collect(deps.readSnapshot(request.holdoutAsOf, request.horizonDays));
    const loadSeconds = (performance.now() - began) / 1000;
    const training = await trainHybrid(examples, request.params ?? {}, {
      ...(deps.onProgress === undefined ? {} : { onProgress: deps.onProgress }),
    });
    const { model } = training;
    const evaluation =
      holdout === undefined
        ? evaluateOutOfFold(model, training.outOfFold)
        : (await evaluateHybrid(model, holdout)).evaluation;
    const explained = await model.explain((holdout ?? examples).slice(0, 1000));
    const drivers = summariseDrivers(explained.map((row) => row.evidence));
    const createdAt = deps.now().toISOString();
    const report: ModelReportInput = {
      title: `churn-radar model ${request.modelVersion}`,
      modelVersion: request.modelVersion,
      createdAt,
      evaluation: evaluation.report,
      ablation: evaluation.ablation,
      featureImportance: drivers.features
        .slice(0, 20)
        .map((feature) => ({ name: feature.name, importance: feature.meanAbsContribution })),
      drivers,
      dataSummary: {
        'training snapshots': request.trainAsOf.join(', '),
        'training rows (labelled)': training.outOfFold.labels.length,
        'evaluated on':
          holdout === undefined
            ? 'out-of-fold predictions (customer folds)'
            : `snapshot as of ${request.holdoutAsOf}`,
        'label window (days)': request.horizonDays,
      },
    };
    const metrics = {
      evaluated_on: holdout === undefined ? 'out-of-fold' : `holdout ${request.holdoutAsOf}`,
      roc_auc: evaluation.report.rocAuc,
      pr_auc: evaluation.report.prAuc,
      log_loss: evaluation.report.logLoss,
      brier: evaluation.report.brierScore,
      threshold: evaluation.atModelThreshold.threshold,
      precision: evaluation.atModelThreshold.precision,
      recall: evaluation.atModelThreshold.recall,
      f1: evaluation.atModelThreshold.f1,
      component_auc: evaluation.componentAuc,
      ablation: evaluation.ablation,
      drivers: drivers.groups,
      lift: evaluation.report.lift,
      calibration: evaluation.report.calibration,
    };
    const files = await modelToFiles(model, request.modelVersion, createdAt, {
      metrics,
      reportHtml: renderModelReport(report),
    });
    return {
      model,
      files,
      evaluation,
      evaluatedOn: holdout === undefined ? 'out-of-fold' : 'holdout',
      trainingRows: training.outOfFold.labels.length,
      seconds: { load: loadSeconds, ...training.seconds },
    };
  };
}
