import { FEATURE_DEFINITIONS, type FeatureVector } from '../../features/features.js';
import type { FeatureSpec } from '../gbdt/dataset.js';

/**
 * The boosting part's columns: every feature of `FEATURE_DEFINITIONS`, in order; categorical
 * levels are the ones training saw, sorted, coded by position. Saved in the artifact.
 */
export function tabularFeatures(vectors: Iterable<FeatureVector>): FeatureSpec[] {
  const levels = new Map<string, Set<string>>();
  for (const definition of FEATURE_DEFINITIONS)
    if (definition.kind === 'categorical') levels.set(definition.name, new Set());
  for (const vector of vectors) {
    for (const [name, seen] of levels) seen.add(String(vector[name as keyof FeatureVector]));
  }
  return FEATURE_DEFINITIONS.map((definition) =>
    definition.kind === 'categorical'
      ? {
          name: definition.name,
          kind: 'categorical',
          categories: [...(levels.get(definition.name) ?? [])].sort(),
        }
      : { name: definition.name, kind: 'numeric' },
  );
}

/** Encodes feature vectors as the model's row-major matrix; a level training never saw becomes missing (NaN). */
export class TabularEncoder {
  readonly features: readonly FeatureSpec[];
  private readonly codes: (ReadonlyMap<string, number> | undefined)[];

  constructor(features: readonly FeatureSpec[]) {
    this.features = features;
    this.codes = features.map((spec) =>
      spec.kind === 'categorical'
        ? new Map((spec.categories ?? []).map((level, code) => [level, code]))
        : undefined,
    );
  }

  get width(): number {
    return this.features.length;
  }

  /** One vector into `out[offset, offset + width)`. */
  encodeInto(vector: FeatureVector, out: Float32Array, offset = 0): void {
    const record = vector as unknown as Readonly<Record<string, number | string | undefined>>;
    for (let column = 0; column < this.features.length; column++) {
      const spec = this.features[column];
      if (spec === undefined) continue;
      const value = record[spec.name];
      const codes = this.codes[column];
      if (codes === undefined) out[offset + column] = typeof value === 'number' ? value : Number.NaN;
      else out[offset + column] = codes.get(String(value)) ?? Number.NaN;
    }
  }

  encode(vectors: readonly FeatureVector[]): Float32Array {
    const out = new Float32Array(vectors.length * this.width);
    vectors.forEach((vector, row) => {
      this.encodeInto(vector, out, row * this.width);
    });
    return out;
  }
}
