import { countPositives, requireBothClasses } from './inputs.js';
import { logLoss } from './probability.js';
import { prAuc, rocAuc } from './ranking.js';

/** One component's probabilities on its evaluation customers. */
export interface ComponentPredictions {
  readonly scores: ArrayLike<number>;
  readonly labels: ArrayLike<number>;
}

export interface AblationRow {
  readonly name: string;
  readonly auc: number;
  readonly prAuc: number;
  readonly logLoss: number;
  /** AUC minus the best AUC in the table: 0 for the best, negative for the rest. */
  readonly deltaAucVsBest: number;
}

/**
 * Each component alone next to the stack (pass the stack as one more entry, e.g. `stack`), best
 * AUC first; equal AUCs keep the order given. Compare components on the same customers, or the
 * deltas mix model quality with population differences.
 */
export function ablationTable(components: Readonly<Record<string, ComponentPredictions>>): AblationRow[] {
  const entries = Object.entries(components);
  if (entries.length === 0) throw new RangeError('ablationTable: no components to compare');
  const measured = entries.map(([name, { scores, labels }]) => {
    const positives = countPositives(`ablationTable: ${name}`, labels);
    requireBothClasses(`ablationTable: ${name}`, positives, labels.length);
    return {
      name,
      auc: rocAuc(scores, labels),
      prAuc: prAuc(scores, labels),
      logLoss: logLoss(scores, labels),
    };
  });
  const bestAuc = Math.max(...measured.map((row) => row.auc));
  return measured
    .map((row) => ({ ...row, deltaAucVsBest: row.auc - bestAuc }))
    .sort((left, right) => right.auc - left.auc);
}
