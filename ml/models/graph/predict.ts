import type { Tf } from '../tf-runtime.js';
import {
  assembleBatch,
  buildTable,
  type GraphTable,
  levelAggregates,
  type NeighbourSample,
  type Normaliser,
  orderByDegree,
  sampleNeighbours,
  standardise,
  type TableGroup,
} from './data.js';
import { batchTensors, forward, type NetworkWeights } from './network.js';
import type { GraphParams } from './params.js';

/** Customers per forward pass when scoring: large enough to amortise the per-call overhead. */
const PREDICT_BATCH = 4096;

/** A graph ready to score: standardised, with the deterministic neighbour choice and its aggregates. */
export interface PreparedGraph {
  readonly table: GraphTable;
  readonly sample: NeighbourSample;
  readonly aggregates: readonly Float32Array[];
}

export function prepareGraph(
  groups: readonly TableGroup[],
  params: GraphParams,
  normaliser: Normaliser,
): PreparedGraph {
  const table = buildTable(groups, params.nodeFeatures, params.useNeighbourhood);
  standardise(table, normaliser);
  return withDeterministicSample(table, params);
}

export function withDeterministicSample(table: GraphTable, params: GraphParams): PreparedGraph {
  const sample = sampleNeighbours(table, params.fanOuts, { kind: 'deterministic', seed: params.seed });
  return { table, sample, aggregates: levelAggregates(table, sample, params.fanOuts) };
}

/** `[rows.length]` logits of the given table rows. Leaves no tensor behind. */
export function predictRows(
  tf: Tf,
  weights: NetworkWeights,
  graph: PreparedGraph,
  rows: Int32Array,
  fanOuts: readonly number[],
): Float64Array {
  const margins = new Float64Array(rows.length);
  const order = orderByDegree(graph.sample, fanOuts, rows);
  for (let from = 0; from < rows.length; from += PREDICT_BATCH) {
    const positions = order.subarray(from, Math.min(rows.length, from + PREDICT_BATCH));
    const batchRows = Int32Array.from(positions, (position) => rows[position] as number);
    const batch = assembleBatch(graph.table, graph.sample, graph.aggregates, fanOuts, batchRows);
    const logits = tf.tidy(() => forward(tf, weights, batchTensors(tf, batch, graph.table.width)));
    const values = logits.dataSync();
    logits.dispose();
    positions.forEach((position, index) => {
      margins[position] = values[index] as number;
    });
  }
  return margins;
}
