import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs';
import type { Tf } from '../tf-runtime.js';
import type { SequenceParams } from './params.js';
import { orthogonalRows, seededUniform } from './random.js';

/** Seed streams, so that no two random draws of a run share a sequence. */
export const STREAM = { kernel: 1, recurrent: 2, head: 3, shuffle: 4, negatives: 5 } as const;

/**
 * `[batch, steps, channels]` → recurrent cell (last state only) → dense → `[batch, 1]` logit.
 * Initial weights depend only on `params.seed`: Glorot-uniform kernels from seeded tfjs
 * initializers, orthogonal recurrent kernels from `orthogonalRows`, zero biases (the LSTM's
 * forget-gate bias at 1, as Keras does).
 */
export function buildNetwork(tf: Tf, params: SequenceParams, steps: number, channels: number): LayersModel {
  const input = tf.input({ shape: [steps, channels], name: 'activity' });
  const common = {
    units: params.units,
    kernelInitializer: tf.initializers.glorotUniform({ seed: params.seed * 8 + STREAM.kernel }),
    recurrentInitializer: 'zeros' as const,
    name: params.cell,
  };
  const cell =
    params.cell === 'lstm' ? tf.layers.lstm({ ...common, unitForgetBias: true }) : tf.layers.gru(common);
  const state = cell.apply(input) as SymbolicTensor;
  const head = tf.layers.dense({
    units: 1,
    kernelInitializer: tf.initializers.glorotUniform({ seed: params.seed * 8 + STREAM.head }),
    name: 'logit',
  });
  const output = head.apply(state) as SymbolicTensor;
  const network = tf.model({ inputs: input, outputs: output, name: 'sequence' });

  // Replace the zero recurrent kernel, keeping the other initial weights.
  const gates = params.cell === 'lstm' ? 4 : 3;
  const recurrent = orthogonalRows(
    params.units,
    gates * params.units,
    seededUniform(params.seed, STREAM.recurrent),
  );
  const [kernel, recurrentKernel, bias] = cell.getWeights();
  if (kernel === undefined || recurrentKernel === undefined || bias === undefined) {
    throw new Error('buildNetwork: the recurrent layer has no kernel, recurrent kernel and bias');
  }
  const replacement = tf.tensor2d(recurrent, [params.units, gates * params.units]);
  cell.setWeights([kernel, replacement, bias]);
  replacement.dispose();
  return network;
}
