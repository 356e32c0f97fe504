/**
 * ROC-AUC: the chance that a random positive scores above a random negative, ties counting half
 * (Mann-Whitney U with average ranks). Labels above 0.5 count as positive. NaN without both classes.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const count = scores.length;
  if (labels.length !== count) throw new RangeError(`rocAuc: ${count} scores but ${labels.length} labels`);
  const order = new Uint32Array(count);
  for (let index = 0; index < count; index++) order[index] = index;
  order.sort((a, b) => (scores[a] ?? 0) - (scores[b] ?? 0));
  let positives = 0;
  let rankSum = 0;
  let position = 0;
  while (position < count) {
    let tieEnd = position + 1;
    const score = scores[order[position] ?? 0] ?? 0;
    while (tieEnd < count && (scores[order[tieEnd] ?? 0] ?? 0) === score) tieEnd += 1;
    const averageRank = (position + 1 + tieEnd) / 2;
    for (let k = position; k < tieEnd; k++) {
      if ((labels[order[k] ?? 0] ?? 0) > 0.5) {
        positives += 1;
        rankSum += averageRank;
      }
    }
    position = tieEnd;
  }
  const negatives = count - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Mean binary log loss of probabilities, clipped away from 0 and 1 like XGBoost's `logloss`. */
export function logLoss(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  weights?: ArrayLike<number>,
): number {
  const eps = 1e-16;
  let total = 0;
  let weightSum = 0;
  for (let index = 0; index < probabilities.length; index++) {
    const p = Math.min(Math.max(probabilities[index] ?? 0, eps), 1 - eps);
    const y = labels[index] ?? 0;
    const w = weights?.[index] ?? 1;
    total -= w * (y * Math.log(p) + (1 - y) * Math.log(1 - p));
    weightSum += w;
  }
  return total / weightSum;
}
