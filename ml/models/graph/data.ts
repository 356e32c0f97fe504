import { GraphDataError } from './errors.js';
import type { NodeFeatureSpec, NodeTransform } from './params.js';
import { below, hashKey, seededUniform } from './random.js';

/** One snapshot's customers: what the graph model reads. */
export interface GraphExample {
  readonly user_id: string;
  /** At least the numeric `nodeFeatures` of the model; other keys are ignored. */
  readonly features: Readonly<Record<string, number | string>>;
  /**
   * People linked to the customer as of the snapshot (see `graphNeighbours`). One who is not an
   * example of the same snapshot is taken to be gone: not a current customer.
   */
  readonly neighbours: readonly string[];
  /** 1 = churned within the horizon, 0 = stayed, null = unknown (not trained on). */
  readonly label: 0 | 1 | null;
}

/**
 * Columns computed from the snapshot's graph, after the node features: how many neighbours are
 * current customers and how many are gone (log1p of the distinct counts), and the gone share.
 * They carry the counts that a mean aggregator cannot see.
 */
export const NEIGHBOURHOOD_COLUMNS = [
  'current_neighbours_log1p',
  'gone_neighbours_log1p',
  'gone_share',
] as const;
/** Last column: 1 on the row that stands for any gone neighbour, 0 elsewhere. */
export const GONE_COLUMN = 'gone';

/** Table row 0: padding (zeros; never counted in a mean). */
export const PAD_ROW = 0;
/** Table row 1: a neighbour who is gone. Their features are unknown: zeros (the mean) and the gone flag. */
export const GONE_ROW = 1;
const FIRST_NODE_ROW = 2;
/** Standardised inputs are clipped to +-this, so one extreme customer cannot swamp a mean. */
const CLIP = 8;

/** Node input columns, in table order. */
export function nodeColumns(features: readonly NodeFeatureSpec[]): string[] {
  return [...features.map((spec) => spec.name), ...NEIGHBOURHOOD_COLUMNS, GONE_COLUMN];
}

/** Per column: z = clip((transformed - mean) / std). The gone column is fixed at mean 0, std 1. */
export interface Normaliser {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/**
 * Every node of one or more snapshots in one table (a snapshot's nodes only link to each other),
 * with the adjacency in CSR form. `x` holds transformed values until `standardise` runs.
 */
export interface GraphTable {
  readonly width: number;
  /** Table rows: PAD_ROW, GONE_ROW, then the nodes. */
  readonly rows: number;
  /** `[rows, width]`. */
  readonly x: Float32Array;
  /** `[rows + 1]`: the neighbours of row r are `adj[adjStart[r] .. adjStart[r + 1])`. */
  readonly adjStart: Int32Array;
  /** Neighbour rows: GONE_ROW or a node of the same snapshot. Distinct people, never the node itself. */
  readonly adj: Int32Array;
  /** The neighbour's user id per `adj` entry: the key of the deterministic choice at prediction. */
  readonly adjIds: readonly string[];
  /** Per group, per example (in input order): its table row. */
  readonly roots: readonly Int32Array[];
}

export interface TableGroup {
  /** Scored or trained on. */
  readonly examples: readonly GraphExample[];
  /** More customers of the same snapshot, only read as neighbours. */
  readonly context?: readonly GraphExample[];
  /** Field path prefix for errors, e.g. `snapshots[2]`. */
  readonly where: string;
  readonly contextWhere?: string;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  return typeof value === 'number' ? String(value) : typeof value;
}

function transform(value: number, kind: NodeTransform): number {
  if (kind === 'log1p') return Math.log1p(Math.max(0, value));
  if (kind === 'signed-log1p') return Math.sign(value) * Math.log1p(Math.abs(value));
  return value;
}

/**
 * Checks what the model reads of one example; errors start with the field's path. Hot (every
 * example of every snapshot), so the path is only spelled out on failure.
 */
function checkExample(
  example: unknown,
  where: string,
  index: number,
  features: readonly NodeFeatureSpec[],
): GraphExample {
  const fail = (field: string, rule: string): never => {
    throw new GraphDataError(`${where}[${index}]${field}: ${rule}`);
  };
  if (typeof example !== 'object' || example === null) fail('', 'expected an object');
  const record = example as Partial<GraphExample>;
  if (typeof record.user_id !== 'string' || record.user_id === '')
    fail('.user_id', `expected a non-empty string, got ${describe(record.user_id)}`);
  const neighbours = record.neighbours;
  if (!Array.isArray(neighbours))
    return fail('.neighbours', `expected an array of user ids, got ${describe(neighbours)}`);
  for (let at = 0; at < neighbours.length; at++) {
    const neighbour: unknown = neighbours[at];
    if (typeof neighbour !== 'string' || neighbour === '')
      fail(`.neighbours[${at}]`, `expected a user id, got ${describe(neighbour)}`);
  }
  const values = record.features;
  if (typeof values !== 'object' || values === null)
    return fail('.features', `expected an object, got ${describe(values)}`);
  for (const spec of features) {
    const value = values[spec.name];
    if (typeof value !== 'number' || !Number.isFinite(value))
      fail(`.features.${spec.name}`, `expected a finite number, got ${describe(value)}`);
  }
  return record as GraphExample;
}

/** Labels of examples that are trained on: 0, 1 or null. */
export function checkLabels(examples: readonly GraphExample[], where: string): void {
  examples.forEach((example, index) => {
    const label: unknown = example.label;
    if (label !== 0 && label !== 1 && label !== null)
      throw new GraphDataError(`${where}[${index}].label: expected 0, 1 or null, got ${describe(label)}`);
  });
}

/**
 * Builds the table of one or more snapshots (groups): validates each example, resolves
 * neighbours within their group (an id that is not there is gone), counts them and writes the
 * transformed node features. With `neighbourhood` false every adjacency is empty and the
 * neighbourhood columns are 0: the model sees each customer alone.
 */
export function buildTable(
  groups: readonly TableGroup[],
  features: readonly NodeFeatureSpec[],
  neighbourhood: boolean,
): GraphTable {
  const width = features.length + NEIGHBOURHOOD_COLUMNS.length + 1;
  let nodes = 0;
  for (const group of groups) nodes += group.examples.length + (group.context?.length ?? 0);
  const bound = FIRST_NODE_ROW + nodes;
  const x = new Float32Array(bound * width);
  x[GONE_ROW * width + width - 1] = 1;
  const adjStart = new Int32Array(bound + 1);
  const adjList: number[] = [];
  const adjIds: string[] = [];
  const roots: Int32Array[] = [];
  let next = FIRST_NODE_ROW;
  for (const group of groups) {
    // Rows are handed out in visiting order, so member i of the group has row `first + i`.
    const first = next;
    const members: GraphExample[] = [];
    const rowOf = new Map<string, number>();
    const groupRoots = new Int32Array(group.examples.length);
    const add = (list: readonly GraphExample[], where: string, isRoot: boolean) => {
      for (let index = 0; index < list.length; index++) {
        const example = checkExample(list[index], where, index, features);
        if (rowOf.has(example.user_id)) {
          if (isRoot)
            throw new GraphDataError(
              `${where}[${index}].user_id: ${JSON.stringify(example.user_id)} appears twice`,
            );
          continue; // a context customer who is also scored: the scored example is the node
        }
        const row = next++;
        rowOf.set(example.user_id, row);
        members.push(example);
        if (isRoot) groupRoots[index] = row;
      }
    };
    add(group.examples, group.where, true);
    if (group.context !== undefined) add(group.context, group.contextWhere ?? 'context', false);
    for (let member = 0; member < members.length; member++) {
      const example = members[member] as GraphExample;
      const row = first + member;
      adjStart[row] = adjList.length;
      const listed = example.neighbours;
      let current = 0;
      let gone = 0;
      // Duplicates: a scan for the usual short lists, a set for long ones.
      const unique = listed.length > 32 ? new Set<string>() : undefined;
      for (let at = 0; at < listed.length; at++) {
        const neighbour = listed[at] as string;
        if (neighbour === example.user_id) continue;
        if (unique !== undefined ? unique.has(neighbour) : listed.indexOf(neighbour) < at) continue;
        unique?.add(neighbour);
        const neighbourRow = rowOf.get(neighbour);
        if (neighbourRow === undefined) gone += 1;
        else current += 1;
        if (!neighbourhood) continue;
        adjList.push(neighbourRow ?? GONE_ROW);
        adjIds.push(neighbour);
      }
      const base = row * width;
      for (let column = 0; column < features.length; column++) {
        const spec = features[column] as NodeFeatureSpec;
        x[base + column] = transform(example.features[spec.name] as number, spec.transform);
      }
      if (neighbourhood) {
        x[base + features.length] = Math.log1p(current);
        x[base + features.length + 1] = Math.log1p(gone);
        x[base + features.length + 2] = current + gone > 0 ? gone / (current + gone) : 0;
      }
    }
    roots.push(groupRoots);
  }
  // Members are visited in row order, so the starts grow; PAD_ROW and GONE_ROW have none (0).
  // Context customers who are also scored took no row: `next` may be short of the bound.
  adjStart[next] = adjList.length;
  return {
    width,
    rows: next,
    x: x.subarray(0, next * width),
    adjStart: adjStart.subarray(0, next + 1),
    adj: Int32Array.from(adjList),
    adjIds,
    roots,
  };
}

/** Mean and standard deviation of every node column but the gone flag, over the node rows. */
export function fitNormaliser(table: GraphTable): Normaliser {
  const { width, rows, x } = table;
  const count = rows - FIRST_NODE_ROW;
  const mean = new Array<number>(width).fill(0);
  const std = new Array<number>(width).fill(1);
  for (let column = 0; column < width - 1; column++) {
    let sum = 0;
    for (let row = FIRST_NODE_ROW; row < rows; row++) sum += x[row * width + column] as number;
    const mu = count > 0 ? sum / count : 0;
    let squares = 0;
    for (let row = FIRST_NODE_ROW; row < rows; row++) {
      const delta = (x[row * width + column] as number) - mu;
      squares += delta * delta;
    }
    const sigma = count > 0 ? Math.sqrt(squares / count) : 0;
    mean[column] = mu;
    std[column] = sigma > 1e-6 ? sigma : 1;
  }
  return { mean, std };
}

/** Standardises the node rows in place (PAD_ROW and GONE_ROW stay as they are). */
export function standardise(table: GraphTable, normaliser: Normaliser): void {
  const { width, rows, x } = table;
  for (let column = 0; column < width - 1; column++) {
    const mu = normaliser.mean[column] as number;
    const sigma = normaliser.std[column] as number;
    for (let row = FIRST_NODE_ROW; row < rows; row++) {
      const index = row * width + column;
      const z = ((x[index] as number) - mu) / sigma;
      x[index] = Math.min(CLIP, Math.max(-CLIP, z));
    }
  }
}

/** Per table row, the neighbours used this epoch (or at prediction), at most the largest fan-out. */
export interface NeighbourSample {
  /** `[rows + 1]` offsets into `rows`. */
  readonly start: Int32Array;
  readonly rows: Int32Array;
  /** false when no node had more neighbours than the smallest fan-out: no choice was made. */
  readonly sampled: boolean;
}

export type SampleMode =
  /** Training: a fresh uniform sample per node and epoch. */
  | { readonly kind: 'random'; readonly seed: number; readonly stream: number }
  /** Prediction: the neighbours with the smallest hash keys of their user ids (independent of list order). */
  | { readonly kind: 'deterministic'; readonly seed: number };

/**
 * Chooses each node's neighbours: all of them when they fit the smallest fan-out, else an ordered
 * choice of up to the largest fan-out whose prefixes are the samples of every smaller fan-out
 * (so the neighbours a node aggregates at layer 1 are the ones it passes up at layer 2).
 */
export function sampleNeighbours(
  table: GraphTable,
  fanOuts: readonly number[],
  mode: SampleMode,
): NeighbourSample {
  const minFanOut = Math.min(...fanOuts);
  const maxFanOut = Math.max(...fanOuts);
  const start = new Int32Array(table.rows + 1);
  let total = 0;
  for (let row = 0; row < table.rows; row++) {
    start[row] = total;
    total += Math.min(maxFanOut, (table.adjStart[row + 1] as number) - (table.adjStart[row] as number));
  }
  start[table.rows] = total;
  const rows = new Int32Array(total);
  const uniform = mode.kind === 'random' ? seededUniform(mode.seed, mode.stream) : undefined;
  let sampled = false;
  const scratch: number[] = [];
  for (let row = 0; row < table.rows; row++) {
    const from = table.adjStart[row] as number;
    const degree = (table.adjStart[row + 1] as number) - from;
    const out = start[row] as number;
    if (degree <= minFanOut) {
      for (let index = 0; index < degree; index++) rows[out + index] = table.adj[from + index] as number;
      continue;
    }
    sampled = true;
    const take = Math.min(degree, maxFanOut);
    scratch.length = 0;
    for (let index = 0; index < degree; index++) scratch.push(from + index);
    if (uniform !== undefined) {
      // Partial Fisher-Yates: the first `take` slots are a uniform ordered sample.
      for (let slot = 0; slot < take; slot++) {
        const pick = slot + below(uniform, degree - slot);
        const chosen = scratch[pick] as number;
        scratch[pick] = scratch[slot] as number;
        scratch[slot] = chosen;
      }
    } else {
      const seed = mode.seed;
      const keyed = scratch.map((entry) => ({ entry, id: table.adjIds[entry] as string }));
      const keys = new Map(keyed.map(({ id }) => [id, hashKey(id, seed)]));
      keyed.sort((a, b) => {
        const delta = (keys.get(a.id) as number) - (keys.get(b.id) as number);
        return delta !== 0 ? delta : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
      });
      keyed.forEach(({ entry }, slot) => {
        scratch[slot] = entry;
      });
    }
    for (let slot = 0; slot < take; slot++) rows[out + slot] = table.adj[scratch[slot] as number] as number;
  }
  return { start, rows, sampled };
}

/** `[rows, width]`: per row, the mean of the inputs of its first `fanOut` sampled neighbours (0 without). */
export function meanOfNeighbours(table: GraphTable, sample: NeighbourSample, fanOut: number): Float32Array {
  const { width, x } = table;
  const out = new Float32Array(table.rows * width);
  const sums = new Float64Array(width);
  for (let row = 0; row < table.rows; row++) {
    const from = sample.start[row] as number;
    const count = Math.min(fanOut, (sample.start[row + 1] as number) - from);
    if (count === 0) continue;
    sums.fill(0);
    for (let slot = 0; slot < count; slot++) {
      const base = (sample.rows[from + slot] as number) * width;
      for (let column = 0; column < width; column++)
        sums[column] = (sums[column] as number) + (x[base + column] as number);
    }
    const base = row * width;
    for (let column = 0; column < width; column++) out[base + column] = (sums[column] as number) / count;
  }
  return out;
}

/** Layer-1 aggregates per level: level i aggregates over the fan-out of hop i + 1. */
export function levelAggregates(
  table: GraphTable,
  sample: NeighbourSample,
  fanOuts: readonly number[],
): Float32Array[] {
  // Fan-outs above every node's sample give the same means: compute those once.
  let longest = 0;
  for (let row = 0; row < table.rows; row++)
    longest = Math.max(longest, (sample.start[row + 1] as number) - (sample.start[row] as number));
  const byFanOut = new Map<number, Float32Array>();
  return fanOuts.map((fanOut) => {
    const effective = Math.min(fanOut, longest);
    let aggregate = byFanOut.get(effective);
    if (aggregate === undefined) {
      aggregate = meanOfNeighbours(table, sample, effective);
      byFanOut.set(effective, aggregate);
    }
    return aggregate;
  });
}

/**
 * A batch as the network reads it (GraphSAGE's sampled computation tree, level by level):
 * level 0 is the batch's customers, level i + 1 the first `fanOuts[i]` sampled neighbours of
 * each level-i node, padded with PAD_ROW to `slots[i]`: the most any level-i node of this batch
 * has (at most the fan-out), so a batch of customers with few links stays small. The deepest
 * layer-1 aggregation (over raw inputs) is precomputed per node, so only levels
 * 0 .. layers - 1 are materialised.
 */
export interface Batch {
  readonly size: number;
  /** Level i: `[levelRows[i], 2 * width]`: the node's inputs, then the mean of its neighbours' inputs. */
  readonly levels: readonly Float32Array[];
  readonly levelRows: readonly number[];
  /** i = 0 .. layers - 2: neighbour slots per level-i node (>= 1); levelRows[i + 1] = levelRows[i] * slots[i]. */
  readonly slots: readonly number[];
  /** i = 0 .. layers - 2: `[levelRows[i], slots[i]]`, 1 / (neighbours) on real slots, 0 on padding. */
  readonly childWeights: readonly Float32Array[];
}

/** Neighbours a row passes up at a hop with this fan-out. */
function taken(sample: NeighbourSample, row: number, fanOut: number): number {
  return Math.min(fanOut, (sample.start[row + 1] as number) - (sample.start[row] as number));
}

export function assembleBatch(
  table: GraphTable,
  sample: NeighbourSample,
  aggregates: readonly Float32Array[],
  fanOuts: readonly number[],
  batchRows: Int32Array,
): Batch {
  const { width, x } = table;
  const layers = fanOuts.length;
  const levels: Float32Array[] = [];
  const levelRows: number[] = [];
  const slots: number[] = [];
  const childWeights: Float32Array[] = [];
  let current: Int32Array = batchRows;
  for (let level = 0; level < layers; level++) {
    const count = current.length;
    const aggregate = aggregates[level] as Float32Array;
    const inputs = new Float32Array(count * 2 * width);
    for (let index = 0; index < count; index++) {
      const from = (current[index] as number) * width;
      const out = index * 2 * width;
      for (let column = 0; column < width; column++) {
        inputs[out + column] = x[from + column] as number;
        inputs[out + width + column] = aggregate[from + column] as number;
      }
    }
    levels.push(inputs);
    levelRows.push(count);
    if (level === layers - 1) break;
    const fanOut = fanOuts[level] as number;
    let slotCount = 1;
    for (let index = 0; index < count; index++)
      slotCount = Math.max(slotCount, taken(sample, current[index] as number, fanOut));
    const children = new Int32Array(count * slotCount);
    const weights = new Float32Array(count * slotCount);
    for (let index = 0; index < count; index++) {
      const row = current[index] as number;
      const from = sample.start[row] as number;
      const real = taken(sample, row, fanOut);
      for (let slot = 0; slot < real; slot++) {
        children[index * slotCount + slot] = sample.rows[from + slot] as number;
        weights[index * slotCount + slot] = 1 / real;
      }
    }
    slots.push(slotCount);
    childWeights.push(weights);
    current = children;
  }
  return { size: batchRows.length, levels, levelRows, slots, childWeights };
}

/**
 * `rows` ordered so that customers with similar numbers of links share batches (less padding):
 * by how many neighbours they pass up at the first hop, stable. Prediction only; training keeps
 * its random order.
 */
export function orderByDegree(
  sample: NeighbourSample,
  fanOuts: readonly number[],
  rows: Int32Array,
): Int32Array {
  if (fanOuts.length < 2) return rows;
  const fanOut = fanOuts[0] as number;
  const buckets: number[][] = Array.from({ length: fanOut + 1 }, () => []);
  rows.forEach((row, position) => {
    buckets[taken(sample, row, fanOut)]?.push(position);
  });
  return Int32Array.from(buckets.flat());
}
