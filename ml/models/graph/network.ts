import type { Scalar, Tensor, Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs';
import type { Tf } from '../tf-runtime.js';
import type { Batch } from './data.js';
import { STREAM, seededUniform } from './random.js';

/**
 * The network (GraphSAGE with the mean aggregator, Hamilton et al. 2017):
 *
 *   h0(v) = x(v)                                            node inputs, [width]
 *   hl(v) = relu([h(l-1)(v) ; mean_{u in S_l(v)} h(l-1)(u)] Wl + bl)     l = 1 .. layers, [hidden]
 *   logit(v) = h_layers(v) w + b
 *
 * over the sampled computation tree of each customer (see `Batch`). Weights, in artifact order:
 * `sage{l}/kernel` `[2 * in, hidden]` (self rows first, then neighbour rows), `sage{l}/bias`
 * `[hidden]`, `head/kernel` `[hidden, 1]`, `head/bias` `[1]`.
 */
export interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

export interface WeightValues extends WeightSpec {
  readonly values: Float32Array;
}

export function weightSpecs(width: number, hidden: number, layers: number): WeightSpec[] {
  const specs: WeightSpec[] = [];
  for (let layer = 1; layer <= layers; layer++) {
    const input = layer === 1 ? width : hidden;
    specs.push({ name: `sage${layer}/kernel`, shape: [2 * input, hidden] });
    specs.push({ name: `sage${layer}/bias`, shape: [hidden] });
  }
  specs.push({ name: 'head/kernel', shape: [hidden, 1] });
  specs.push({ name: 'head/bias', shape: [1] });
  return specs;
}

/** Glorot-uniform kernels from the seed, zero biases; the head bias starts at the log-odds of the training mix. */
export function initialWeights(specs: readonly WeightSpec[], seed: number, headBias: number): WeightValues[] {
  const uniform = seededUniform(seed, STREAM.init);
  return specs.map((spec) => {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (spec.name.endsWith('/kernel')) {
      const [fanIn = 1, fanOut = 1] = spec.shape;
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let index = 0; index < size; index++) values[index] = (2 * uniform() - 1) * limit;
    } else if (spec.name === 'head/bias') {
      values[0] = headBias;
    }
    return { ...spec, values };
  });
}

/** The weight tensors in `weightSpecs` order (variables while training, constants once trained). */
export interface NetworkWeights {
  readonly kernels: readonly Tensor2D[];
  readonly biases: readonly Tensor1D[];
  readonly headKernel: Tensor2D;
  readonly headBias: Tensor1D;
}

export function networkWeights(tensors: readonly Tensor[], layers: number): NetworkWeights {
  const kernels: Tensor2D[] = [];
  const biases: Tensor1D[] = [];
  for (let layer = 0; layer < layers; layer++) {
    kernels.push(tensors[2 * layer] as Tensor2D);
    biases.push(tensors[2 * layer + 1] as Tensor1D);
  }
  return {
    kernels,
    biases,
    headKernel: tensors[2 * layers] as Tensor2D,
    headBias: tensors[2 * layers + 1] as Tensor1D,
  };
}

export interface BatchTensors {
  /** Level i: `[levelRows[i], 2 * width]`. */
  readonly levels: Tensor2D[];
  /** i = 0 .. layers - 2: `[levelRows[i], slots[i], 1]`. */
  readonly childWeights: Tensor3D[];
}

/** Call inside `tf.tidy` (or dispose the tensors). */
export function batchTensors(tf: Tf, batch: Batch, width: number): BatchTensors {
  return {
    levels: batch.levels.map((level, index) =>
      tf.tensor2d(level, [batch.levelRows[index] as number, 2 * width]),
    ),
    childWeights: batch.childWeights.map((weights, index) =>
      tf.tensor3d(weights, [batch.levelRows[index] as number, batch.slots[index] as number, 1]),
    ),
  };
}

type DenseRelu = (x: Tensor2D, kernel: Tensor2D, bias: Tensor1D) => Tensor2D;
const denseReluOf = new WeakMap<Tf, DenseRelu>();

/**
 * relu(x W + b) with a hand-written gradient: the wasm backend's matMul is fast only untransposed
 * (its transposeA/transposeB paths are several times slower), so the backward pass transposes
 * explicitly and multiplies plainly.
 */
function denseRelu(tf: Tf): DenseRelu {
  let op = denseReluOf.get(tf);
  if (op === undefined) {
    op = tf.customGrad((...args: unknown[]) => {
      const [x, kernel, bias, save] = args as [Tensor2D, Tensor2D, Tensor1D, (tensors: Tensor[]) => void];
      const y = tf.relu(tf.add(tf.matMul(x, kernel), bias)) as Tensor2D;
      save([x, kernel, y]);
      return {
        value: y,
        gradFunc: (dy: Tensor, saved: Tensor[]) => {
          const [input, weights, output] = saved as [Tensor2D, Tensor2D, Tensor2D];
          const g = tf.mul(dy, tf.step(output)) as Tensor2D;
          return [tf.matMul(g, tf.transpose(weights)), tf.matMul(tf.transpose(input), g), tf.sum(g, 0)];
        },
      };
    }) as unknown as DenseRelu;
    denseReluOf.set(tf, op);
  }
  return op;
}

/** `[batch]` churn logits. Call inside `tf.tidy`. */
export function forward(tf: Tf, weights: NetworkWeights, inputs: BatchTensors): Tensor1D {
  const layers = weights.kernels.length;
  const relu = denseRelu(tf);
  const dense = (input: Tensor2D, layer: number): Tensor2D =>
    relu(input, weights.kernels[layer] as Tensor2D, weights.biases[layer] as Tensor1D);
  // Layer 1 at every level: [rows_i, 2 * width] -> [rows_i, hidden].
  let hidden: Tensor2D[] = inputs.levels.map((level) => dense(level, 0));
  for (let layer = 1; layer < layers; layer++) {
    const next: Tensor2D[] = [];
    for (let level = 0; level < layers - layer; level++) {
      const self = hidden[level] as Tensor2D;
      const childWeights = inputs.childWeights[level] as Tensor3D;
      const [rows, slots] = childWeights.shape;
      // [rows * slots, hidden] -> [rows, slots, hidden], weighted by 1/count on real slots -> [rows, hidden]
      const children = tf.reshape(hidden[level + 1] as Tensor2D, [rows, slots, self.shape[1]]);
      const mean = tf.sum(tf.mul(children, childWeights), 1) as Tensor2D;
      next.push(dense(tf.concat([self, mean], 1) as Tensor2D, layer));
    }
    hidden = next;
  }
  const logits = tf.add(tf.matMul(hidden[0] as Tensor2D, weights.headKernel), weights.headBias);
  return tf.reshape(logits, [-1]);
}
/**
 * Per SAGE kernel, `[rows, 1]`: 1 on the rows that read the neighbourhood (the neighbour half,
 * and in layer 1 also the node's own neighbourhood columns), 0 on the rows that read the node
 * itself. `neighbourL2` applies there only.
 */
export function neighbourRowMasks(
  width: number,
  ownColumns: number,
  hidden: number,
  layers: number,
): Float32Array[] {
  const masks: Float32Array[] = [];
  for (let layer = 1; layer <= layers; layer++) {
    const input = layer === 1 ? width : hidden;
    const mask = new Float32Array(2 * input);
    for (let row = 0; row < 2 * input; row++)
      mask[row] = row >= input || (layer === 1 && row >= ownColumns) ? 1 : 0;
    masks.push(mask);
  }
  return masks;
}

export interface Penalties {
  /** On every kernel. */
  readonly l2: number;
  /** On top, on the kernel rows that read the neighbourhood (`[rows, 1]` masks per SAGE layer). */
  readonly neighbourL2: number;
  readonly neighbourMasks: readonly Tensor2D[];
}

/** Weighted mean log loss, `sum(w (softplus(z) - y z)) / sum(w)`, plus the L2 penalties. Inside `tf.tidy`. */
export function lossOf(
  tf: Tf,
  logits: Tensor1D,
  labels: Tensor1D,
  sampleWeights: Tensor1D,
  weights: NetworkWeights,
  penalties: Penalties,
): Scalar {
  const perExample = tf.sub(tf.softplus(logits), tf.mul(labels, logits));
  let loss = tf.div(tf.sum(tf.mul(perExample, sampleWeights)), tf.sum(sampleWeights)) as Scalar;
  if (penalties.l2 > 0) {
    for (const kernel of [...weights.kernels, weights.headKernel])
      loss = tf.add(loss, tf.mul(penalties.l2, tf.sum(tf.square(kernel)))) as Scalar;
  }
  if (penalties.neighbourL2 > 0) {
    weights.kernels.forEach((kernel, layer) => {
      const mask = penalties.neighbourMasks[layer] as Tensor2D;
      loss = tf.add(loss, tf.mul(penalties.neighbourL2, tf.sum(tf.mul(tf.square(kernel), mask)))) as Scalar;
    });
  }
  return loss;
}
