import type { BusinessCosts } from '../../eval/index.js';
import { type Explanation, type ExplanationInput, explainChurnRisk } from '../../explain/index.js';
import { SEQUENCE_CHANNELS } from '../../features/sequence.js';
import type { GbdtModel } from '../gbdt/model.js';
import { type GraphModel, neighbourhoodFacts } from '../graph/index.js';
import type { SequenceModel } from '../sequence/index.js';
import { calibrate, type Stacker, stackMargin, stackTerms } from '../stack/index.js';
import type { TrainingBaseline } from './baseline.js';
import type { HybridExample } from './example.js';
import type { ComponentName, HybridParams } from './params.js';
import type { TabularEncoder } from './tabular.js';

export type RiskBand = 'high' | 'medium' | 'low';

export interface RiskBands {
  /** Churn probability at or above which a customer is `high` risk: the decision threshold. */
  readonly high: number;
  /** At or above: `medium`. */
  readonly medium: number;
}

/**
 * `high` from the decision threshold (contact pays off); `medium` from twice the base churn rate
 * (clearly above average), capped below `high`.
 */
export function riskBands(threshold: number, baseRate: number): RiskBands {
  return { high: threshold, medium: Math.min(threshold, 2 * baseRate) };
}

export interface DecisionPolicy {
  readonly threshold: number;
  /** Out of fold, on the training rows, at the threshold. */
  readonly precision: number;
  readonly recall: number;
  readonly costs: BusinessCosts;
  readonly bands: RiskBands;
}

export interface TrainingRecord {
  readonly params: HybridParams;
  readonly rows: number;
  readonly positives: number;
  /** Cut-off days of the snapshots trained on. */
  readonly snapshots: readonly string[];
  readonly outOfFoldAuc: Readonly<Record<string, number>>;
  readonly gbdtRounds: number;
  readonly sequenceEpochs: number | null;
  readonly graphEpochs: number | null;
}

export interface HybridModelInit {
  readonly encoder: TabularEncoder;
  readonly gbdt: GbdtModel;
  readonly sequence?: SequenceModel;
  readonly graph?: GraphModel;
  readonly stacker: Stacker;
  readonly decision: DecisionPolicy;
  readonly baseline: TrainingBaseline;
  readonly training: TrainingRecord;
}

export interface HybridScore {
  readonly user_id: string;
  readonly as_of: string;
  readonly churnProbability: number;
  readonly riskBand: RiskBand;
  /** The stacker's margin before calibration. */
  readonly stackMargin: number;
  /** Each component's margin (the stacker's inputs). */
  readonly components: Readonly<Partial<Record<ComponentName, number>>>;
}

export interface ScoreOptions {
  /**
   * Graph margins computed earlier (batch scoring stores them in the online store), by user id.
   * Without one, a customer scored outside a whole snapshot gets the graph part's training mean:
   * one customer alone has no neighbourhood to read.
   */
  readonly graphMargins?: ReadonlyMap<string, number>;
  /** Read the graph from the examples themselves (they are a whole snapshot). @default examples.length > 1 */
  readonly graphFromBatch?: boolean;
}

export interface ExplainedScore extends HybridScore {
  readonly explanation: Explanation;
  /** What the reasons were drawn from: contributions to the stack margin (for driver summaries). */
  readonly evidence: ExplanationInput;
}

/**
 * The trained hybrid: gradient boosting on the tabular features, a recurrent network on the
 * activity sequence and a GraphSAGE network on the customer graph, stacked and calibrated.
 * Score batches (a snapshot: the graph is read from it) or single customers.
 */
export class HybridModel {
  readonly encoder: TabularEncoder;
  readonly gbdt: GbdtModel;
  readonly sequence: SequenceModel | undefined;
  readonly graph: GraphModel | undefined;
  readonly stacker: Stacker;
  readonly decision: DecisionPolicy;
  readonly baseline: TrainingBaseline;
  readonly training: TrainingRecord;

  constructor(init: HybridModelInit) {
    this.encoder = init.encoder;
    this.gbdt = init.gbdt;
    this.sequence = init.sequence;
    this.graph = init.graph;
    this.stacker = init.stacker;
    this.decision = init.decision;
    this.baseline = init.baseline;
    this.training = init.training;
    for (const name of init.stacker.meta.inputs) {
      if (name !== 'gbdt' && name !== 'sequence' && name !== 'graph')
        throw new TypeError(`stacker input ${name} is not a component`);
      if (this.#part(name) === undefined)
        throw new TypeError(`the stacker reads ${name}, which the model lacks`);
    }
  }

  #part(name: ComponentName): unknown {
    return name === 'gbdt' ? this.gbdt : name === 'sequence' ? this.sequence : this.graph;
  }

  get components(): readonly ComponentName[] {
    return this.stacker.meta.inputs as ComponentName[];
  }

  band(probability: number): RiskBand {
    const { bands } = this.decision;
    return probability >= bands.high ? 'high' : probability >= bands.medium ? 'medium' : 'low';
  }

  /** The sequence batch of `examples` (`[rows, days, channels]`). */
  #sequenceBatch(examples: readonly HybridExample[]) {
    const channels = SEQUENCE_CHANNELS.length;
    const days = (examples[0]?.activity_sequence.length ?? 0) / channels;
    const sequences = new Float32Array(examples.length * days * channels);
    examples.forEach((example, row) => {
      if (example.activity_sequence.length !== days * channels)
        throw new RangeError(
          `examples[${row}].activity_sequence: expected ${days * channels} values, got ${example.activity_sequence.length}`,
        );
      sequences.set(example.activity_sequence, row * days * channels);
    });
    return { sequences, rows: examples.length, days, channels };
  }

  /** Each component's margins for `examples`, in stacker input order: `[inputs][rows]`. */
  async componentMargins(
    examples: readonly HybridExample[],
    options: ScoreOptions = {},
  ): Promise<Map<ComponentName, Float64Array>> {
    const out = new Map<ComponentName, Float64Array>();
    const values = this.encoder.encode(examples.map((example) => example.features));
    out.set('gbdt', this.gbdt.predictMargin(values, examples.length));
    if (this.sequence !== undefined && this.components.includes('sequence')) {
      out.set('sequence', await this.sequence.predictMargin(this.#sequenceBatch(examples)));
    }
    if (this.graph !== undefined && this.components.includes('graph')) {
      const neutral = this.stacker.meta.means[this.components.indexOf('graph')] ?? 0;
      const fromBatch = options.graphFromBatch ?? examples.length > 1;
      const batch = fromBatch ? await this.graph.predictMargin(examples) : undefined;
      out.set(
        'graph',
        Float64Array.from(
          examples,
          (example, row) => options.graphMargins?.get(example.user_id) ?? batch?.[row] ?? neutral,
        ),
      );
    }
    return out;
  }

  async score(examples: readonly HybridExample[], options: ScoreOptions = {}): Promise<HybridScore[]> {
    if (examples.length === 0) return [];
    const margins = await this.componentMargins(examples, options);
    const inputs = this.components;
    const row = new Float64Array(inputs.length);
    return examples.map((example, index) => {
      const components: Partial<Record<ComponentName, number>> = {};
      inputs.forEach((name, j) => {
        const margin = margins.get(name)?.[index] ?? 0;
        row[j] = margin;
        components[name] = margin;
      });
      const margin = stackMargin(this.stacker, row);
      const churnProbability = calibrate(this.stacker, margin);
      return {
        user_id: example.user_id,
        as_of: example.as_of,
        churnProbability,
        riskBand: this.band(churnProbability),
        stackMargin: margin,
        components,
      };
    });
  }

  /**
   * Scores with reasons: TreeSHAP splits the boosting margin over the features, the stacker's
   * linear terms split the stack margin over the components, occlusion splits the sequence part
   * over its channels, and the graph part comes with the neighbourhood's facts.
   */
  async explain(
    examples: readonly HybridExample[],
    options: ScoreOptions & { maxReasons?: number } = {},
  ): Promise<ExplainedScore[]> {
    const scores = await this.score(examples, options);
    const inputs = this.components;
    const { meta } = this.stacker;
    const weightOf = (name: ComponentName): number => {
      const j = inputs.indexOf(name);
      return j < 0 ? 0 : (meta.coefficients[j] ?? 0) / (meta.scales[j] ?? 1);
    };
    const values = this.encoder.encode(examples.map((example) => example.features));
    const width = this.encoder.width;
    const contributions = new Float64Array(width + 1);
    const channelEffects =
      this.sequence !== undefined && inputs.includes('sequence')
        ? await this.sequence.channelEffects(this.#sequenceBatch(examples))
        : undefined;
    const facts =
      this.graph !== undefined && inputs.includes('graph')
        ? neighbourhoodFacts(
            examples,
            Float64Array.from(scores, (score) => score.components.graph ?? 0),
            { highRiskMargin: this.graph.highRiskMargin },
          )
        : undefined;
    const gbdtWeight = weightOf('gbdt');
    return scores.map((score, row) => {
      this.gbdt.rowContributions(values, row * width, contributions);
      const featureContributions: Record<string, number> = {};
      this.encoder.features.forEach((spec, column) => {
        featureContributions[spec.name] = gbdtWeight * (contributions[column] ?? 0);
      });
      const terms = stackTerms(
        this.stacker,
        inputs.map((name) => score.components[name] ?? 0),
      ).terms;
      const centred = (name: ComponentName): number => {
        const j = inputs.indexOf(name);
        return j < 0
          ? 0
          : (terms[j] ?? 0) - ((meta.coefficients[j] ?? 0) * (meta.means[j] ?? 0)) / (meta.scales[j] ?? 1);
      };
      const sequenceWeight = weightOf('sequence');
      const effects: Record<string, number> = {};
      if (channelEffects !== undefined) {
        SEQUENCE_CHANNELS.forEach((channel, c) => {
          effects[channel] = sequenceWeight * (channelEffects[row * SEQUENCE_CHANNELS.length + c] ?? 0);
        });
      }
      const fact = facts?.[row];
      const evidence: ExplanationInput = {
        features: examples[row]?.features ?? {},
        featureContributions,
        ...(channelEffects === undefined
          ? {}
          : { sequence: { contribution: centred('sequence'), channelEffects: effects } }),
        ...(fact === undefined
          ? {}
          : {
              graph: {
                contribution: centred('graph'),
                neighbours: fact.neighbours,
                neighboursGone: fact.neighboursGone,
                riskyNeighbours: fact.riskyNeighbours,
              },
            }),
      };
      const explanation = explainChurnRisk(
        evidence,
        options.maxReasons === undefined ? {} : { maxReasons: options.maxReasons },
      );
      return { ...score, explanation, evidence };
    });
  }

  dispose(): void {
    this.sequence?.dispose();
    this.graph?.dispose();
  }
}
