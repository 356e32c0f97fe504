/**
 * mulberry32 streams keyed by (seed, stream): every random choice of a training run (initial
 * weights, shuffles, negative samples) is a pure function of the seed, so a run repeats bit for bit.
 */
export function seededUniform(seed: number, stream: number): () => number {
  let state = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b)) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates, in place. */
export function shuffleInPlace(values: Int32Array, random: () => number): Int32Array {
  for (let index = values.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    const value = values[index] ?? 0;
    values[index] = values[other] ?? 0;
    values[other] = value;
  }
  return values;
}

/**
 * A `rows x columns` matrix with orthonormal rows (rows <= columns), row-major: Keras' default
 * recurrent initializer, computed here in float64 (Gram–Schmidt on seeded normals) because tfjs'
 * own `orthogonal` initializer warns on every matrix above 2,000 cells.
 */
export function orthogonalRows(rows: number, columns: number, random: () => number): Float32Array {
  if (rows > columns)
    throw new RangeError(`orthogonalRows: ${rows} rows cannot be orthonormal in ${columns}`);
  const basis: Float64Array[] = [];
  while (basis.length < rows) {
    const vector = new Float64Array(columns);
    for (let column = 0; column < columns; column++) {
      // Box–Muller; 1 - u keeps the logarithm finite.
      const u = 1 - random();
      vector[column] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    }
    for (let pass = 0; pass < 2; pass++) {
      for (const done of basis) {
        let dot = 0;
        for (let column = 0; column < columns; column++) dot += (vector[column] ?? 0) * (done[column] ?? 0);
        for (let column = 0; column < columns; column++) {
          vector[column] = (vector[column] ?? 0) - dot * (done[column] ?? 0);
        }
      }
    }
    let norm = 0;
    for (let column = 0; column < columns; column++) norm += (vector[column] ?? 0) ** 2;
    norm = Math.sqrt(norm);
    // A draw (almost) inside the span so far: draw again.
    if (norm < 1e-6) continue;
    for (let column = 0; column < columns; column++) vector[column] = (vector[column] ?? 0) / norm;
    basis.push(vector);
  }
  const matrix = new Float32Array(rows * columns);
  basis.forEach((vector, row) => {
    matrix.set(vector, row * columns);
  });
  return matrix;
}
