import type { Tensor } from '@tensorflow/tfjs';
import { loadTf, type Tf, type TfRuntime } from '../tf-runtime.js';
import {
  decodeArtifact,
  encodeArtifact,
  type GraphArtifact,
  type GraphModelState,
  type GraphTrainingSummary,
} from './artifact.js';
import type { GraphExample, Normaliser } from './data.js';
import { GraphDataError } from './errors.js';
import { type NeighbourhoodFacts, neighbourhoodFacts } from './facts.js';
import { type NetworkWeights, networkWeights, type WeightValues } from './network.js';
import type { GraphParams } from './params.js';
import { predictRows, prepareGraph } from './predict.js';

export interface PredictOptions {
  /**
   * More customers of the same snapshot, read only as neighbours (e.g. to score a few customers
   * without scoring their whole snapshot). Neighbours found in neither list are gone.
   */
  readonly context?: readonly GraphExample[];
}

/** A trained graph model; its weights live in TensorFlow.js tensors until `dispose`. */
export class GraphModel {
  readonly params: GraphParams;
  readonly normaliser: Normaliser;
  /** See `neighbourhoodFacts`: the margin of the riskiest 10% of the validation customers. */
  readonly highRiskMargin: number;
  readonly training: GraphTrainingSummary;
  readonly #tf: Tf;
  readonly #values: readonly WeightValues[];
  readonly #tensors: Tensor[];
  readonly #weights: NetworkWeights;
  #disposed = false;

  /** Use `trainGraphModel` or `loadGraphModel`. */
  constructor(runtime: TfRuntime, state: GraphModelState) {
    this.params = state.params;
    this.normaliser = state.normaliser;
    this.highRiskMargin = state.highRiskMargin;
    this.training = state.training;
    this.#tf = runtime.tf;
    this.#values = state.weights;
    this.#tensors = state.weights.map((weight) => runtime.tf.tensor(weight.values, [...weight.shape]));
    this.#weights = networkWeights(this.#tensors, state.params.layers);
  }

  /**
   * `[examples.length]` churn logits, each from the customer's own features and their sampled
   * neighbourhood in this snapshot (`examples` plus `options.context`). A ranking score: the
   * training mix is rebalanced (see `negativesPerPositive`), so calibrate before reading it as
   * a probability.
   */
  async predictMargin(
    examples: readonly GraphExample[],
    options: PredictOptions = {},
  ): Promise<Float64Array> {
    this.#checkAlive();
    if (!Array.isArray(examples)) throw new GraphDataError('examples: expected an array');
    if (examples.length === 0) return new Float64Array(0);
    const graph = prepareGraph(
      [
        {
          examples,
          where: 'examples',
          ...(options.context ? { context: options.context, contextWhere: 'context' } : {}),
        },
      ],
      this.params,
      this.normaliser,
    );
    return predictRows(
      this.#tf,
      this.#weights,
      graph,
      graph.table.roots[0] as Int32Array,
      this.params.fanOuts,
    );
  }

  /** `sigmoid(predictMargin)`: uncalibrated (see `predictMargin`). */
  async predictProbability(
    examples: readonly GraphExample[],
    options: PredictOptions = {},
  ): Promise<Float64Array> {
    const margins = await this.predictMargin(examples, options);
    return margins.map((margin) => 1 / (1 + Math.exp(-margin)));
  }

  /** `neighbourhoodFacts` with this model's margins and its `highRiskMargin`; `examples` is the whole snapshot. */
  async neighbourhoodFacts(examples: readonly GraphExample[]): Promise<NeighbourhoodFacts[]> {
    const margins = await this.predictMargin(examples);
    return neighbourhoodFacts(examples, margins, { highRiskMargin: this.highRiskMargin });
  }

  /** The model as JSON metadata plus float32 weights; `loadGraphModel` predicts bit for bit the same. */
  async toArtifact(): Promise<GraphArtifact> {
    this.#checkAlive();
    return encodeArtifact({
      params: this.params,
      normaliser: this.normaliser,
      highRiskMargin: this.highRiskMargin,
      weights: this.#values,
      training: this.training,
    });
  }

  /** Frees the weight tensors; the model cannot predict afterwards. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const tensor of this.#tensors) tensor.dispose();
  }

  #checkAlive(): void {
    if (this.#disposed) throw new GraphDataError('model: already disposed');
  }
}

/** A model from `toArtifact` output (meta may have gone through JSON). Checks every field. */
export async function loadGraphModel(artifact: GraphArtifact): Promise<GraphModel> {
  const state = decodeArtifact(artifact);
  return new GraphModel(await loadTf(), state);
}
