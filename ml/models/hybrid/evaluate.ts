import {
  type AblationRow,
  ablationTable,
  type Confusion,
  confusionAt,
  type EvaluationReport,
  evaluate,
  rocAuc,
} from '../../eval/index.js';
import type { HybridExample } from './example.js';
import type { HybridModel, HybridScore, ScoreOptions } from './model.js';
import type { OutOfFold } from './train.js';

export interface HybridEvaluation {
  /** The calibrated stack on the holdout, with the threshold the business costs choose on it. */
  readonly report: EvaluationReport;
  /** At the threshold the model carries (chosen on training data), as it will be used. */
  readonly atModelThreshold: Confusion & { readonly threshold: number };
  /** Each component alone (its margin as a score) and the stack, on the same customers. */
  readonly ablation: readonly AblationRow[];
  readonly componentAuc: Readonly<Record<string, number>>;
}

const sigmoid = (margin: number): number => 1 / (1 + Math.exp(-margin));

/** Scores the labelled holdout rows (the unlabelled ones only as graph context) and measures. */
export async function evaluateHybrid(
  model: HybridModel,
  holdout: readonly HybridExample[],
  options: ScoreOptions = {},
): Promise<{ evaluation: HybridEvaluation; scores: HybridScore[] }> {
  const scores = await model.score(holdout, options);
  const labelledScores = scores.filter((_, row) => holdout[row]?.label !== null);
  const labels = Float32Array.from(
    holdout.filter((example) => example.label !== null),
    (example) => example.label ?? 0,
  );
  const probabilities = Float64Array.from(labelledScores, (score) => score.churnProbability);
  const report = evaluate(probabilities, labels, { costs: model.decision.costs });
  const components: Record<string, { scores: Float64Array; labels: Float32Array }> = {};
  const componentAuc: Record<string, number> = {};
  for (const name of model.components) {
    const margins = Float64Array.from(labelledScores, (score) => sigmoid(score.components[name] ?? 0));
    components[name] = { scores: margins, labels };
    componentAuc[name] = rocAuc(margins, labels);
  }
  components.stack = { scores: probabilities, labels };
  componentAuc.stack = report.rocAuc;
  const threshold = model.decision.threshold;
  return {
    evaluation: {
      report,
      atModelThreshold: { threshold, ...confusionAt(probabilities, labels, threshold) },
      ablation: ablationTable(components),
      componentAuc,
    },
    scores,
  };
}

/** The evaluation as a plain-text table for a terminal. */
export function formatEvaluation(evaluation: HybridEvaluation): string {
  const { report, atModelThreshold: at } = evaluation;
  const pct = (value: number): string => `${(100 * value).toFixed(1)}%`;
  const lines: [string, string][] = [
    [
      'customers (churners)',
      `${report.customers.toLocaleString('en-US')} (${report.churners.toLocaleString('en-US')}, ${pct(report.churnRate)})`,
    ],
    ['ROC-AUC', report.rocAuc.toFixed(4)],
    ['PR-AUC', report.prAuc.toFixed(4)],
    ['log loss', report.logLoss.toFixed(4)],
    ['Brier score', report.brierScore.toFixed(4)],
    ['calibration error (ECE)', report.expectedCalibrationError.toFixed(4)],
    ...report.lift.map((row): [string, string] => [
      `lift at top ${pct(row.fraction)}`,
      `${row.lift.toFixed(2)}x (precision ${pct(row.precision)}, captures ${pct(row.captured)} of churners)`,
    ]),
    [
      'decision threshold',
      `${at.threshold.toFixed(4)} (from costs): precision ${pct(at.precision)}, recall ${pct(at.recall)}, F1 ${at.f1.toFixed(3)}, contacts ${(at.tp + at.fp).toLocaleString('en-US')}`,
    ],
    ['confusion at threshold', `TP ${at.tp}  FP ${at.fp}  FN ${at.fn}  TN ${at.tn}`],
  ];
  const width = Math.max(...lines.map(([label]) => label.length));
  const table = lines.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`);
  const ablation = evaluation.ablation.map(
    (row) =>
      `  ${row.name.padEnd(width)}  AUC ${row.auc.toFixed(4)}  PR-AUC ${row.prAuc.toFixed(4)}  (${row.deltaAucVsBest >= 0 ? '+' : ''}${row.deltaAucVsBest.toFixed(4)} vs best)`,
  );
  return [...table, '', '  ablation (each part alone vs the stack):', ...ablation].join('\n');
}

/**
 * The evaluation of the out-of-fold predictions training made on its own rows (every row scored
 * by models that never saw its customer): what a run without a later holdout snapshot reports.
 */
export function evaluateOutOfFold(model: HybridModel, outOfFold: OutOfFold): HybridEvaluation {
  const { labels, probabilities } = outOfFold;
  const report = evaluate(probabilities, labels, { costs: model.decision.costs });
  const components: Record<string, { scores: Float64Array; labels: Float32Array }> = {};
  const componentAuc: Record<string, number> = {};
  for (const [name, margins] of Object.entries(outOfFold.margins)) {
    if (margins === undefined) continue;
    const scores = margins.map(sigmoid);
    components[name] = { scores, labels };
    componentAuc[name] = rocAuc(scores, labels);
  }
  components.stack = { scores: probabilities, labels };
  componentAuc.stack = report.rocAuc;
  const threshold = model.decision.threshold;
  return {
    report,
    atModelThreshold: { threshold, ...confusionAt(probabilities, labels, threshold) },
    ablation: ablationTable(components),
    componentAuc,
  };
}
