import { chooseThreshold, rocAuc } from '../../eval/index.js';
import { SEQUENCE_CHANNELS } from '../../features/sequence.js';
import type { GbdtDataset } from '../gbdt/dataset.js';
import type { GbdtModel } from '../gbdt/model.js';
import { trainGbdt } from '../gbdt/train.js';
import { type GraphExample, type GraphModel, trainGraphModel } from '../graph/index.js';
import { type LabelledSequences, type SequenceModel, trainSequenceModel } from '../sequence/index.js';
import { calibrate, customerFolds, fitStacker, stackMargin } from '../stack/index.js';
import { trainingBaseline } from './baseline.js';
import { groupBySnapshot, type HybridExample } from './example.js';
import { HybridModel, riskBands } from './model.js';
import { type ComponentName, type HybridParams, resolveHybridParams } from './params.js';
import { TabularEncoder, tabularFeatures } from './tabular.js';

export interface TrainingProgress {
  readonly stage: string;
  readonly message: string;
}

export interface TrainHybridOptions {
  readonly onProgress?: (progress: TrainingProgress) => void;
}

/** What training measured on its own rows, out of fold: the stacker's inputs and the threshold's basis. */
export interface OutOfFold {
  readonly labels: Float32Array;
  readonly userIds: readonly string[];
  readonly asOf: readonly string[];
  /** Each component's out-of-fold margin per labelled row. */
  readonly margins: Readonly<Partial<Record<ComponentName, Float64Array>>>;
  /** The calibrated stack's out-of-fold churn probability per labelled row. */
  readonly probabilities: Float64Array;
  /** Out-of-fold ROC-AUC of each component and of the stack. */
  readonly auc: Readonly<Record<string, number>>;
}

export interface HybridTraining {
  readonly model: HybridModel;
  readonly outOfFold: OutOfFold;
  /** Wall time of each stage in seconds. */
  readonly seconds: Readonly<Record<string, number>>;
}

/**
 * The training data in the shapes every component reads, with the customer folds. Deterministic
 * for the same examples and seed, so separate processes (the training state machine's parallel
 * branches) that prepare the same snapshots agree on every row and fold.
 */
export interface PreparedTraining {
  readonly params: HybridParams;
  /** Rows with a known label, in the examples' order. */
  readonly labelled: readonly HybridExample[];
  readonly labels: Float32Array;
  readonly positives: number;
  readonly encoder: TabularEncoder;
  readonly tabular: GbdtDataset;
  /** Present when the sequence component is trained. */
  readonly sequences: LabelledSequences | undefined;
  /** Every example (unlabelled ones are graph context), grouped by cut-off. */
  readonly snapshots: readonly (readonly HybridExample[])[];
  readonly rowOf: ReadonlyMap<HybridExample, number>;
  /** Fold of each labelled row. */
  readonly fold: Uint8Array;
}

/** One component trained: its out-of-fold margins and the model refitted on every row. */
export type ComponentModel =
  | { readonly name: 'gbdt'; readonly model: GbdtModel }
  | { readonly name: 'sequence'; readonly model: SequenceModel }
  | { readonly name: 'graph'; readonly model: GraphModel };

export type ComponentResult = ComponentModel & {
  /** `[labelled rows]` margins, each from a fold model that never saw the row's customer. */
  readonly outOfFold: Float64Array;
  /** Trees or epochs the folds chose, which the refit used. */
  readonly size: number;
  readonly seconds: number;
};

/** Copies the rows `rows` of a row-major matrix of `width` columns. */
function selectRows(values: Float32Array, width: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * width);
  rows.forEach((row, index) => {
    out.set(values.subarray(row * width, (row + 1) * width), index * width);
  });
  return out;
}

function gbdtDataset(template: GbdtDataset, rows: readonly number[]): GbdtDataset {
  const width = template.features.length;
  return {
    values: selectRows(template.values, width, rows),
    rows: rows.length,
    features: template.features,
    labels: Float32Array.from(rows, (row) => template.labels[row] ?? 0),
  };
}

function sequenceSet(template: LabelledSequences, rows: readonly number[]): LabelledSequences {
  const width = template.days * template.channels;
  return {
    sequences: selectRows(template.sequences, width, rows),
    rows: rows.length,
    days: template.days,
    channels: template.channels,
    labels: Float32Array.from(rows, (row) => template.labels[row] ?? 0),
  };
}

const mean = (values: readonly number[]): number =>
  values.reduce((sum, value) => sum + value, 0) / values.length;

export function prepareTraining(
  examples: readonly HybridExample[],
  params: Partial<HybridParams> = {},
): PreparedTraining {
  const resolved = resolveHybridParams(params);
  const labelled = examples.filter((example) => example.label !== null);
  const rows = labelled.length;
  const labels = Float32Array.from(labelled, (example) => example.label ?? 0);
  const positives = labels.reduce((sum, label) => sum + label, 0);
  if (rows === 0) throw new RangeError('examples: no row has a known label');
  if (positives === 0 || positives === rows)
    throw new RangeError(
      `examples: need churners and non-churners, got ${positives} churners in ${rows} rows`,
    );
  const encoder = new TabularEncoder(tabularFeatures(labelled.map((example) => example.features)));
  const tabular: GbdtDataset = {
    values: encoder.encode(labelled.map((example) => example.features)),
    rows,
    features: encoder.features,
    labels,
  };
  const channels = SEQUENCE_CHANNELS.length;
  const days = (labelled[0]?.activity_sequence.length ?? 0) / channels;
  let sequences: LabelledSequences | undefined;
  if (resolved.components.includes('sequence')) {
    const all = new Float32Array(rows * days * channels);
    labelled.forEach((example, row) => {
      if (example.activity_sequence.length !== days * channels)
        throw new RangeError(
          `examples[${row}].activity_sequence: expected ${days * channels} values (${days} days x ${channels} channels), got ${example.activity_sequence.length}`,
        );
      all.set(example.activity_sequence, row * days * channels);
    });
    sequences = { sequences: all, rows, days, channels, labels };
  }
  const rowOf = new Map<HybridExample, number>();
  labelled.forEach((example, row) => {
    rowOf.set(example, row);
  });
  const fold = customerFolds(
    labelled.map((example) => example.user_id),
    labels,
    resolved.folds,
    resolved.seed,
  );
  return {
    params: resolved,
    labelled,
    labels,
    positives,
    encoder,
    tabular,
    sequences,
    snapshots: groupBySnapshot(examples),
    rowOf,
    fold,
  };
}

/** Graph inputs of every snapshot, with labels only on the rows `keep` says. */
function graphSnapshots(prepared: PreparedTraining, keep: (row: number) => boolean): GraphExample[][] {
  return prepared.snapshots.map((snapshot) =>
    snapshot.map((example) => {
      const row = prepared.rowOf.get(example);
      return {
        user_id: example.user_id,
        features: example.features,
        neighbours: example.neighbours,
        label: row !== undefined && keep(row) ? example.label : null,
      };
    }),
  );
}

/**
 * Trains one component: per fold on the other folds (early stopping on the held-out fold), its
 * out-of-fold margins, then a refit on every row as big as the folds chose (trees: 10% more, for
 * the extra data; epochs: the folds' mean).
 */
export async function trainComponent(
  name: ComponentName,
  prepared: PreparedTraining,
  options: TrainHybridOptions = {},
): Promise<ComponentResult> {
  const began = performance.now();
  const { params, fold, labels } = prepared;
  const { folds, seed } = params;
  const rows = labels.length;
  const outOfFold = new Float64Array(rows);
  const sizes: number[] = [];
  const progress = (message: string): void => options.onProgress?.({ stage: name, message });
  const auc = (rowsOf: readonly number[]): string =>
    rocAuc(
      Float64Array.from(rowsOf, (row) => outOfFold[row] ?? 0),
      Float32Array.from(rowsOf, (row) => labels[row] ?? 0),
    ).toFixed(4);

  for (let k = 0; k < folds; k++) {
    const trainRows: number[] = [];
    const heldOut: number[] = [];
    for (let row = 0; row < rows; row++) (fold[row] === k ? heldOut : trainRows).push(row);
    if (name === 'gbdt') {
      const validation = gbdtDataset(prepared.tabular, heldOut);
      const model = trainGbdt(
        gbdtDataset(prepared.tabular, trainRows),
        { ...params.gbdt, seed: seed + k },
        { validation },
      );
      model.predictMargin(validation.values, heldOut.length).forEach((margin, index) => {
        outOfFold[heldOut[index] ?? 0] = margin;
      });
      sizes.push((model.training?.bestIteration ?? model.trees.length - 1) + 1);
      progress(`fold ${k + 1}/${folds}: ${sizes.at(-1)} trees, held-out AUC ${auc(heldOut)}`);
    } else if (name === 'sequence') {
      const sequences = prepared.sequences;
      if (sequences === undefined)
        throw new RangeError('the sequence component was not prepared (not in params.components)');
      const validation = sequenceSet(sequences, heldOut);
      const model = await trainSequenceModel(
        sequenceSet(sequences, trainRows),
        { ...params.sequence, seed: seed + k },
        { validation },
      );
      (await model.predictMargin(validation)).forEach((margin, index) => {
        outOfFold[heldOut[index] ?? 0] = margin;
      });
      sizes.push(model.training.bestEpoch);
      model.dispose();
      progress(`fold ${k + 1}/${folds}: best epoch ${sizes.at(-1)}, held-out AUC ${auc(heldOut)}`);
    } else {
      const heldOutSet = new Set(heldOut);
      // Early stopping watches the held-out customers of the latest snapshot, in their graph.
      const validation = graphSnapshots(prepared, (row) => heldOutSet.has(row)).at(-1) ?? [];
      const model = await trainGraphModel(
        graphSnapshots(prepared, (row) => !heldOutSet.has(row)),
        { ...params.graph, seed: seed + k },
        { validation },
      );
      for (const snapshot of prepared.snapshots) {
        const margins = await model.predictMargin(snapshot);
        snapshot.forEach((example, index) => {
          const row = prepared.rowOf.get(example);
          if (row !== undefined && heldOutSet.has(row)) outOfFold[row] = margins[index] ?? 0;
        });
      }
      sizes.push(model.training.bestEpoch);
      model.dispose();
      progress(`fold ${k + 1}/${folds}: best epoch ${sizes.at(-1)}, held-out AUC ${auc(heldOut)}`);
    }
  }

  const seconds = (): number => (performance.now() - began) / 1000;
  if (name === 'gbdt') {
    const size = Math.max(1, Math.round(mean(sizes) * 1.1));
    const model = trainGbdt(prepared.tabular, { ...params.gbdt, rounds: size, earlyStoppingRounds: 0, seed });
    progress(`final: ${size} trees on all ${rows} rows`);
    return { name, model, outOfFold, size, seconds: seconds() };
  }
  const size = Math.max(1, Math.round(mean(sizes)));
  if (name === 'sequence') {
    const model = await trainSequenceModel(prepared.sequences as LabelledSequences, {
      ...params.sequence,
      epochs: size,
      patience: 0,
      seed,
    });
    progress(`final: ${size} epochs on all ${rows} rows`);
    return { name, model, outOfFold, size, seconds: seconds() };
  }
  const model = await trainGraphModel(
    graphSnapshots(prepared, () => true),
    {
      ...params.graph,
      epochs: size,
      patience: 0,
      seed,
    },
  );
  progress(`final: ${size} epochs on all ${rows} rows`);
  return { name, model, outOfFold, size, seconds: seconds() };
}

/**
 * The stack over trained components: the meta-learner and calibration on their out-of-fold
 * margins, the decision threshold from the business costs on the out-of-fold probabilities, and
 * the training distributions (the drift baseline).
 */
export function assembleHybrid(
  prepared: PreparedTraining,
  results: readonly ComponentResult[],
  options: TrainHybridOptions = {},
): { model: HybridModel; outOfFold: OutOfFold } {
  const { params, labels, labelled } = prepared;
  const byName = new Map(results.map((result) => [result.name, result]));
  const inputs = params.components.filter((name) => byName.has(name));
  const missing = params.components.filter((name) => !byName.has(name));
  if (missing.length > 0) throw new RangeError(`components not trained: ${missing.join(', ')}`);
  const columns = inputs.map((name) => (byName.get(name) as ComponentResult).outOfFold);
  const stacker = fitStacker(inputs, columns, labels, { calibration: params.calibration });
  const rows = labels.length;
  const probabilities = new Float64Array(rows);
  const row = new Float64Array(inputs.length);
  for (let index = 0; index < rows; index++) {
    for (let j = 0; j < inputs.length; j++) row[j] = columns[j]?.[index] ?? 0;
    probabilities[index] = calibrate(stacker, stackMargin(stacker, row));
  }
  const auc: Record<string, number> = {};
  inputs.forEach((name, j) => {
    auc[name] = rocAuc(columns[j] as Float64Array, labels);
  });
  auc.stack = rocAuc(probabilities, labels);
  options.onProgress?.({
    stage: 'stack',
    message: `out-of-fold AUC: ${Object.entries(auc)
      .map(([name, value]) => `${name} ${value.toFixed(4)}`)
      .join(
        ', ',
      )}; weights ${stacker.meta.coefficients.map((value, j) => `${inputs[j]} ${value.toFixed(3)}`).join(', ')}`,
  });
  const decision = chooseThreshold(probabilities, labels, params.costs);
  const part = <N extends ComponentName>(name: N) =>
    byName.get(name) as Extract<ComponentResult, { name: N }> | undefined;
  const gbdt = part('gbdt');
  if (gbdt === undefined) throw new RangeError('components: gbdt must be trained');
  const sequence = part('sequence');
  const graph = part('graph');
  const margins: Partial<Record<ComponentName, Float64Array>> = {};
  for (const result of results) margins[result.name] = result.outOfFold;
  const model = new HybridModel({
    encoder: prepared.encoder,
    gbdt: gbdt.model,
    ...(sequence === undefined ? {} : { sequence: sequence.model }),
    ...(graph === undefined ? {} : { graph: graph.model }),
    stacker,
    decision: {
      threshold: decision.threshold,
      precision: decision.precision,
      recall: decision.recall,
      costs: params.costs,
      bands: riskBands(decision.threshold, prepared.positives / rows),
    },
    baseline: trainingBaseline(prepared.encoder.features, prepared.tabular.values, rows, probabilities),
    training: {
      params,
      rows,
      positives: prepared.positives,
      snapshots: prepared.snapshots.map((snapshot) => snapshot[0]?.as_of ?? ''),
      outOfFoldAuc: auc,
      gbdtRounds: gbdt.size,
      sequenceEpochs: sequence?.size ?? null,
      graphEpochs: graph?.size ?? null,
    },
  });
  return {
    model,
    outOfFold: {
      labels,
      userIds: labelled.map((example) => example.user_id),
      asOf: labelled.map((example) => example.as_of),
      margins,
      probabilities,
      auc,
    },
  };
}

/**
 * Trains the hybrid model on snapshot rows (one or more cut-offs; rows with an unknown label
 * serve only as graph context): customer folds (every row of a customer in one fold,
 * stratified); each component's out-of-fold margins and refit (`trainComponent`); the stacker,
 * calibration, threshold and drift baseline (`assembleHybrid`). The training state machine runs
 * the same three steps as separate tasks.
 */
export async function trainHybrid(
  examples: readonly HybridExample[],
  params: Partial<HybridParams> = {},
  options: TrainHybridOptions = {},
): Promise<HybridTraining> {
  const seconds: Record<string, number> = {};
  let began = performance.now();
  const prepared = prepareTraining(examples, params);
  seconds.prepare = (performance.now() - began) / 1000;
  const { components, folds } = prepared.params;
  options.onProgress?.({
    stage: 'prepare',
    message: `${prepared.labels.length.toLocaleString('en-US')} labelled rows (${prepared.positives} churners), ${folds} folds, components ${components.join(' + ')}`,
  });
  const results: ComponentResult[] = [];
  for (const name of components) {
    const result = await trainComponent(name, prepared, options);
    seconds[name] = result.seconds;
    results.push(result);
  }
  began = performance.now();
  const { model, outOfFold } = assembleHybrid(prepared, results, options);
  seconds.stack = (performance.now() - began) / 1000;
  return { model, outOfFold, seconds };
}
