/**
 * Area under the ROC curve: the probability that a random positive scores above a random
 * negative, ties counting half (Mann–Whitney U with average ranks). NaN without both classes.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): number {
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
    // Ranks are 1-based; a tie group shares the mean of its ranks.
    const averageRank = (position + 1 + tieEnd) / 2;
    for (let k = position; k < tieEnd; k++) {
      if (labels[order[k] ?? 0]) {
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
