/**
 * Folds for out-of-fold stacking, by customer: every snapshot row of a customer lands in the
 * same fold (a customer seen at an earlier cut-off must not inform their own held-out row), and
 * folds are stratified by whether the customer ever churned in the rows. Deterministic for a
 * seed: customers are ordered by a seeded hash of their id, positives and negatives dealt round
 * robin.
 */
export function customerFolds(
  userIds: readonly string[],
  labels: ArrayLike<number>,
  folds: number,
  seed: number,
): Uint8Array {
  if (!Number.isInteger(folds) || folds < 2 || folds > 255)
    throw new RangeError(`folds must be an integer in 2..255, got ${folds}`);
  if (labels.length !== userIds.length)
    throw new RangeError(`customerFolds: ${labels.length} labels for ${userIds.length} rows`);
  const churned = new Map<string, boolean>();
  userIds.forEach((userId, row) => {
    churned.set(userId, (churned.get(userId) ?? false) || (labels[row] ?? 0) >= 0.5);
  });
  const hash = (text: string): number => {
    // FNV-1a with the seed folded in: stable across runs and platforms.
    let value = (0x811c9dc5 ^ seed) >>> 0;
    for (let index = 0; index < text.length; index++) {
      value ^= text.charCodeAt(index);
      value = Math.imul(value, 0x01000193) >>> 0;
    }
    return value;
  };
  const ordered = [...churned.keys()].sort((a, b) => hash(a) - hash(b) || (a < b ? -1 : a > b ? 1 : 0));
  const foldOf = new Map<string, number>();
  const dealt = [0, 0];
  for (const userId of ordered) {
    const kind = churned.get(userId) === true ? 1 : 0;
    foldOf.set(userId, (dealt[kind] ?? 0) % folds);
    dealt[kind] = (dealt[kind] ?? 0) + 1;
  }
  return Uint8Array.from(userIds, (userId) => foldOf.get(userId) ?? 0);
}
