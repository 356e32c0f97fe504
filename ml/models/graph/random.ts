/**
 * mulberry32 on a state mixed from (seed, stream), so every random choice of a run (weight
 * initialisation, each epoch's neighbour samples, negatives and order) is a pure function of the
 * seed: a run repeats bit for bit.
 */
export function seededUniform(seed: number, stream: number): () => number {
  let state = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul((stream >>> 0) + 1, 0x85ebca6b)) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, bound) from a uniform draw. */
export function below(uniform: () => number, bound: number): number {
  return Math.min(bound - 1, Math.floor(uniform() * bound));
}

/** FNV-1a of a string, mixed with a seed: a stable pseudo-random key that does not depend on input order. */
export function hashKey(text: string, seed: number): number {
  let hash = (0x811c9dc5 ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash >>> 0;
}

/** Streams of `seededUniform`, one per purpose, so adding a draw in one place does not shift another. */
export const STREAM = {
  init: 1,
  holdout: 2,
  /** + epoch */
  negatives: 1_000,
  /** + epoch */
  order: 2_000_000,
  /** + epoch */
  neighbours: 3_000_000,
  /** + epoch */
  dropout: 4_000_000,
} as const;
