/**
 * The steps of the training state machine (`statemachines/train.asl.json`), each a use case with
 * narrow dependencies: plan the run, write the snapshot manifests, train one component, stack
 * and evaluate, gate, register, promote, record the outcome. Handlers in this folder wire them.
 */
import { z } from 'zod';
import { renderModelReport } from '../../ml/eval/html-report.js';
import { summariseDrivers } from '../../ml/explain/index.js';
import { addDays } from '../../ml/features/day-aggregate.js';
import { loadModel, saveModel } from '../../ml/models/gbdt/model-json.js';
import { loadGraphModel } from '../../ml/models/graph/index.js';
import {
  assembleHybrid,
  COMPONENTS,
  type ComponentName,
  type ComponentResult,
  evaluateHybrid,
  type HybridExample,
  modelFromFiles,
  modelToFiles,
  type PreparedTraining,
  prepareTraining,
  trainComponent,
} from '../../ml/models/hybrid/index.js';
import { loadSequenceModel } from '../../ml/models/sequence/index.js';
import { formatIssues } from '../../ml/schema/format-issues.js';
import { ChurnRadarError } from '../shared/errors.js';
import { LAKEHOUSE_BUCKETS } from '../shared/lakehouse.js';
import type { SnapshotRecord } from '../shared/snapshot-store.js';
import type { BucketSnapshotSummary, ManifestInput } from '../snapshot/build-snapshot.js';
import { TrainingRunError } from './run-store.js';

/** The run's request breaks a rule: Step Functions catches it by name and does not retry. */
export class TrainingInputError extends ChurnRadarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'TrainingInputError', 400, options);
  }
}

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'expected a calendar day YYYY-MM-DD' });
const dataset = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, { error: 'expected a dataset name' });

/** Floors a challenger must clear, and how much worse than the champion it may be. */
export const GatePolicy = z
  .object({
    minRocAuc: z.number().min(0).max(1).default(0.7),
    minPrecision: z.number().min(0).max(1).default(0.2),
    minRecall: z.number().min(0).max(1).default(0.2),
    /** The challenger's holdout ROC-AUC may trail the champion's on the same holdout by at most this. */
    maxAucDropVsChampion: z.number().min(0).max(1).default(0.005),
  })
  .strict();
export type GatePolicy = z.infer<typeof GatePolicy>;

/** What starts a training run: the schedule and the drift alarm send `{trigger}`; people may pin the rest. */
export const TrainingRequest = z
  .object({
    trigger: z.string().max(100).default('manual'),
    horizonDays: z.int().min(1).max(366).default(30),
    /** Days after the label window before a derived "no churn" is trusted. */
    graceDays: z.int().min(0).max(366).default(30),
    /** Training snapshots: this many, `spacingDays` apart, ending one window before the holdout. */
    trainSnapshots: z.int().min(1).max(12).default(3),
    spacingDays: z.int().min(1).max(90).default(15),
    holdoutAsOf: day.optional(),
    trainAsOf: z.array(day).min(1).max(12).optional(),
    profilesDataset: dataset.optional(),
    labelsDataset: dataset.optional(),
    params: z
      .object({
        folds: z.int().min(2).max(10).optional(),
        seed: z.int().optional(),
        components: z.array(z.enum(COMPONENTS)).min(1).optional(),
        /** Replaces the labels of the training rows with a seeded shuffle: a deliberately useless challenger (gate tests, demos). */
        shuffleLabels: z.boolean().optional(),
      })
      .strict()
      .default({}),
    gate: GatePolicy.partial().default({}),
  })
  .strict();
export type TrainingRequest = z.infer<typeof TrainingRequest>;

export interface SnapshotRef {
  readonly asOf: string;
  readonly horizonDays: number;
}

/** The plan every later step reads (`$.plan`). */
export interface TrainingPlan {
  readonly runId: string;
  readonly version: string;
  readonly trigger: string;
  readonly startedAt: string;
  readonly horizonDays: number;
  readonly graceDays: number;
  readonly observedUntil: string;
  readonly trainAsOf: readonly string[];
  readonly holdoutAsOf: string;
  readonly profilesDataset?: string;
  readonly labelsDataset?: string;
  readonly params: TrainingRequest['params'];
  readonly gate: GatePolicy;
  readonly codeVersion: string;
  /** One Map item per snapshot and hash bucket (the snapshot function's input). */
  readonly snapshotItems: readonly Record<string, unknown>[];
  readonly components: readonly ComponentName[];
  /** Where components train: `lambda` (default) or `sagemaker` (training jobs running the same code). */
  readonly trainingMode: 'lambda' | 'sagemaker';
}

export function parseTrainingRequest(input: unknown): TrainingRequest {
  const parsed = TrainingRequest.safeParse(input ?? {}, { reportInput: true });
  if (!parsed.success) throw new TrainingInputError(formatIssues(parsed.error, 'request'));
  return parsed.data;
}

/**
 * Plans a run: where the raw events end, which cut-offs have settled labels (holdout = the latest
 * whose window plus grace lies in the data; training cut-offs one window and more before it),
 * the model version, and the Map items for the snapshots.
 */
export function makePlanTraining(deps: {
  /** The day after the last day with raw events, looking back from `until` (exclusive) to `from`. */
  readonly rawDataUntil: (from: string, until: string) => Promise<string>;
  readonly now: () => Date;
  readonly defaultGate: GatePolicy;
  readonly codeVersion: string;
  readonly trainingMode?: 'lambda' | 'sagemaker';
  /** Keeps the plan where a SageMaker training job (which gets no payload) can read it. */
  readonly savePlan?: (plan: TrainingPlan) => Promise<void>;
}) {
  return async (input: unknown): Promise<{ plan: TrainingPlan }> => {
    const request = parseTrainingRequest((input as { request?: unknown } | undefined)?.request ?? input);
    const now = deps.now();
    const today = now.toISOString().slice(0, 10);
    const { horizonDays, graceDays } = request;
    const observedUntil = await deps.rawDataUntil(addDays(today, -3 * 366), addDays(today, 1));
    const holdoutAsOf = request.holdoutAsOf ?? addDays(observedUntil, -(horizonDays + graceDays));
    if (addDays(holdoutAsOf, horizonDays) > observedUntil) {
      throw new TrainingInputError(
        `holdoutAsOf: ${holdoutAsOf} + ${horizonDays} days runs past the raw events (they end before ${observedUntil})`,
      );
    }
    const trainAsOf =
      request.trainAsOf ??
      Array.from({ length: request.trainSnapshots }, (_, index) =>
        addDays(holdoutAsOf, -horizonDays - index * request.spacingDays),
      ).reverse();
    for (const asOf of trainAsOf) {
      if (addDays(asOf, horizonDays) > holdoutAsOf) {
        throw new TrainingInputError(
          `trainAsOf: ${asOf}'s label window (${horizonDays} days) overlaps the holdout from ${holdoutAsOf}; train on earlier cut-offs`,
        );
      }
    }
    const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
    const execution = String((input as { executionName?: unknown } | undefined)?.executionName ?? '')
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, 8);
    const trigger = request.trigger.replace(/[^A-Za-z0-9]/g, '').slice(0, 20) || 'run';
    const runId = [stamp, trigger, execution].filter((part) => part !== '').join('-');
    const snapshotItems = [...trainAsOf, holdoutAsOf].flatMap((asOf) =>
      Array.from({ length: LAKEHOUSE_BUCKETS }, (_, bucket) => ({
        asOf,
        horizonDays,
        bucket,
        observedUntil,
        graceDays: Math.max(1, graceDays),
        ...(request.profilesDataset === undefined ? {} : { profilesDataset: request.profilesDataset }),
        ...(request.labelsDataset === undefined ? {} : { labelsDataset: request.labelsDataset }),
      })),
    );
    const plan: TrainingPlan = {
      runId,
      version: `m-${runId}`,
      trigger: request.trigger,
      startedAt: now.toISOString(),
      horizonDays,
      graceDays,
      observedUntil,
      trainAsOf,
      holdoutAsOf,
      ...(request.profilesDataset === undefined ? {} : { profilesDataset: request.profilesDataset }),
      ...(request.labelsDataset === undefined ? {} : { labelsDataset: request.labelsDataset }),
      params: request.params,
      gate: { ...deps.defaultGate, ...request.gate },
      codeVersion: deps.codeVersion,
      snapshotItems,
      components: request.params.components ?? [...COMPONENTS],
      trainingMode: deps.trainingMode ?? 'lambda',
    };
    await deps.savePlan?.(plan);
    return { plan };
  };
}

const PlanSchema = z.looseObject({
  runId: z.string().min(1),
  version: z.string().min(1),
  horizonDays: z.int().min(1),
  graceDays: z.int().min(0),
  trainAsOf: z.array(day).min(1),
  holdoutAsOf: day,
});

/** The plan as a later step receives it; only the fields steps rely on are checked. */
export function readPlan(input: unknown): TrainingPlan {
  const plan = (input as { plan?: unknown } | undefined)?.plan;
  const parsed = PlanSchema.safeParse(plan, { reportInput: true });
  if (!parsed.success) throw new TrainingInputError(formatIssues(parsed.error, 'plan'));
  return parsed.data as unknown as TrainingPlan;
}

/** After the snapshot Map: one manifest per snapshot from its buckets' summaries. */
export function makeWriteManifests(deps: {
  readonly writeManifest: (
    input: ManifestInput,
  ) => Promise<{ key: string; manifest: { counts: { customers: number; positives: number } } }>;
}) {
  return async (input: { plan: TrainingPlan; summaries: readonly BucketSnapshotSummary[] }) => {
    const plan = readPlan(input);
    const written = [];
    for (const asOf of [...plan.trainAsOf, plan.holdoutAsOf]) {
      const marker = `as_of=${asOf}/horizon=${plan.horizonDays}/`;
      const summaries = input.summaries.filter((summary) => summary.key.includes(marker));
      if (summaries.length !== LAKEHOUSE_BUCKETS)
        throw new TrainingRunError(
          `snapshot ${asOf}: ${summaries.length} of ${LAKEHOUSE_BUCKETS} buckets built`,
        );
      const { key, manifest } = await deps.writeManifest({
        asOf,
        horizonDays: plan.horizonDays,
        graceDays: Math.max(1, plan.graceDays),
        summaries,
      });
      written.push({ asOf, key, customers: manifest.counts.customers, positives: manifest.counts.positives });
    }
    return written;
  };
}

type ReadSnapshot = (asOf: string, horizonDays: number) => AsyncIterable<SnapshotRecord>;

async function loadExamples(
  readSnapshot: ReadSnapshot,
  asOfs: readonly string[],
  horizonDays: number,
): Promise<HybridExample[]> {
  const examples: HybridExample[] = [];
  for (const asOf of asOfs) for await (const record of readSnapshot(asOf, horizonDays)) examples.push(record);
  return examples;
}

/** A seeded shuffle of the labels (a deliberately useless challenger): Fisher-Yates with a xorshift. */
function shuffledLabels(examples: HybridExample[], seed: number): HybridExample[] {
  const labels = examples.map((example) => example.label);
  let state = (seed ^ 0x9e3779b9) >>> 0 || 1;
  for (let index = labels.length - 1; index > 0; index--) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    const other = state % (index + 1);
    [labels[index], labels[other]] = [labels[other] ?? null, labels[index] ?? null];
  }
  return examples.map((example, index) => ({ ...example, label: labels[index] ?? null }));
}

async function prepared(readSnapshot: ReadSnapshot, plan: TrainingPlan): Promise<PreparedTraining> {
  let examples = await loadExamples(readSnapshot, plan.trainAsOf, plan.horizonDays);
  if (plan.params?.shuffleLabels === true) examples = shuffledLabels(examples, plan.params.seed ?? 7);
  const { shuffleLabels: _ignored, ...params } = plan.params ?? {};
  return prepareTraining(examples, { ...params, components: plan.components });
}

/** Row identity of a prepared training set: parts trained in different tasks must agree on it. */
function fingerprint(data: PreparedTraining): string {
  let hash = 0x811c9dc5;
  for (const example of data.labelled) {
    const text = `${example.user_id}|${example.as_of}|${example.label}`;
    for (let index = 0; index < text.length; index++) {
      hash ^= text.charCodeAt(index);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
  }
  return `${data.labelled.length}:${hash.toString(16)}`;
}

const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
const parseJson = (bytes: Uint8Array | undefined, name: string): unknown => {
  if (bytes === undefined) throw new TrainingRunError(`${name}: missing`);
  return JSON.parse(new TextDecoder().decode(bytes));
};

export interface RunFiles {
  putFiles(runId: string, part: string, files: ReadonlyMap<string, Uint8Array>): Promise<void>;
  getFiles(runId: string, part: string): Promise<Map<string, Uint8Array>>;
}

/** One branch of the Parallel state: trains one component and stores its part of the run. */
export function makeTrainComponentStep(deps: {
  readonly readSnapshot: ReadSnapshot;
  readonly runs: RunFiles;
  readonly log?: (message: string) => void;
}) {
  return async (input: { plan: TrainingPlan; component: string }) => {
    const plan = readPlan(input);
    const component = z.enum(COMPONENTS).safeParse(input.component);
    if (!component.success)
      throw new TrainingInputError(
        `component: expected one of ${COMPONENTS.join(', ')}, got ${JSON.stringify(input.component)}`,
      );
    const name = component.data;
    // Every run has the three Parallel branches; a part the request left out is skipped.
    if (!(plan.components ?? COMPONENTS).includes(name)) return { component: name, skipped: true };
    const data = await prepared(deps.readSnapshot, plan);
    const result = await trainComponent(name, data, {
      onProgress: ({ stage, message }) => deps.log?.(`[${stage}] ${message}`),
    });
    const files = new Map<string, Uint8Array>();
    const oof = new Uint8Array(result.outOfFold.buffer.slice(0));
    files.set('oof.f64', oof);
    files.set(
      'part.json',
      json({
        component: name,
        size: result.size,
        seconds: result.seconds,
        rows: data.labels.length,
        fingerprint: fingerprint(data),
      }),
    );
    if (result.name === 'gbdt') files.set('model.json', new TextEncoder().encode(saveModel(result.model)));
    else {
      const artifact = await result.model.toArtifact();
      files.set(
        'model.json',
        json({ format: artifact.format, version: artifact.version, meta: artifact.meta }),
      );
      files.set('weights.bin', artifact.weights);
      result.model.dispose();
    }
    await deps.runs.putFiles(plan.runId, `components/${name}`, files);
    return {
      component: name,
      size: result.size,
      seconds: Math.round(result.seconds * 10) / 10,
      rows: data.labels.length,
    };
  };
}

async function readComponent(
  runs: RunFiles,
  plan: TrainingPlan,
  name: ComponentName,
  data: PreparedTraining,
): Promise<ComponentResult> {
  const files = await runs.getFiles(plan.runId, `components/${name}`);
  const part = parseJson(files.get('part.json'), `${name}/part.json`) as {
    size: number;
    seconds: number;
    fingerprint: string;
  };
  if (part.fingerprint !== fingerprint(data))
    throw new TrainingRunError(
      `components/${name}: trained on other rows (${part.fingerprint}) than the stack reads (${fingerprint(data)})`,
    );
  const oofBytes = files.get('oof.f64');
  if (oofBytes === undefined) throw new TrainingRunError(`components/${name}/oof.f64: missing`);
  const outOfFold = new Float64Array(oofBytes.slice().buffer);
  const base = { outOfFold, size: part.size, seconds: part.seconds };
  if (name === 'gbdt')
    return { name, model: loadModel(new TextDecoder().decode(files.get('model.json'))), ...base };
  const artifact = {
    ...(parseJson(files.get('model.json'), `${name}/model.json`) as object),
    weights: files.get('weights.bin'),
  };
  if (name === 'sequence')
    return {
      name,
      model: await loadSequenceModel(artifact as unknown as Parameters<typeof loadSequenceModel>[0]),
      ...base,
    };
  return {
    name,
    model: await loadGraphModel(artifact as unknown as Parameters<typeof loadGraphModel>[0]),
    ...base,
  };
}

export interface ModelMetrics {
  readonly rocAuc: number;
  readonly prAuc: number;
  readonly precision: number;
  readonly recall: number;
  readonly threshold: number;
  readonly customers: number;
  readonly churners: number;
}

export interface StackOutcome {
  readonly version: string;
  readonly candidate: ModelMetrics & { readonly componentAuc: Readonly<Record<string, number>> };
  /** The champion scored on the same holdout; null when there is none (the first model). */
  readonly champion: (ModelMetrics & { readonly version: string }) | null;
}

/** The registry as the training steps use it. */
export interface TrainingRegistry {
  get(version: string): Promise<unknown>;
  aliases(): Promise<Record<'champion' | 'challenger', string | undefined>>;
  readFiles(version: string): Promise<Map<string, Uint8Array>>;
  register(
    version: string,
    files: ReadonlyMap<string, Uint8Array>,
    lineage: {
      snapshots: string[];
      holdout?: string;
      horizonDays: number;
      codeVersion: string;
      params: unknown;
      dataRange?: { from: string; to: string };
    },
  ): Promise<unknown>;
  setAlias(
    alias: 'champion' | 'challenger',
    version: string,
    options?: { expected?: string | undefined; reason?: string },
  ): Promise<void>;
}

/** Stacks the components, evaluates the candidate and the champion on the holdout, stores the candidate. */
export function makeStackStep(deps: {
  readonly readSnapshot: ReadSnapshot;
  readonly runs: RunFiles;
  readonly registry: TrainingRegistry;
  readonly now: () => Date;
}) {
  return async (input: { plan: TrainingPlan }): Promise<StackOutcome> => {
    const plan = readPlan(input);
    const data = await prepared(deps.readSnapshot, plan);
    const results: ComponentResult[] = [];
    for (const name of plan.components) results.push(await readComponent(deps.runs, plan, name, data));
    const { model } = assembleHybrid(data, results);
    const holdout = await loadExamples(deps.readSnapshot, [plan.holdoutAsOf], plan.horizonDays);
    const { evaluation } = await evaluateHybrid(model, holdout);
    const metricsOf = (report: typeof evaluation): ModelMetrics => ({
      rocAuc: report.report.rocAuc,
      prAuc: report.report.prAuc,
      precision: report.atModelThreshold.precision,
      recall: report.atModelThreshold.recall,
      threshold: report.atModelThreshold.threshold,
      customers: report.report.customers,
      churners: report.report.churners,
    });
    const championVersion = (await deps.registry.aliases()).champion;
    let champion: StackOutcome['champion'] = null;
    if (championVersion !== undefined) {
      const championModel = await modelFromFiles(await deps.registry.readFiles(championVersion));
      champion = {
        version: championVersion,
        ...metricsOf((await evaluateHybrid(championModel, holdout)).evaluation),
      };
      championModel.dispose();
    }
    const explained = await model.explain(holdout.slice(0, 1000));
    const drivers = summariseDrivers(explained.map((row) => row.evidence));
    const createdAt = deps.now().toISOString();
    const candidate = { ...metricsOf(evaluation), componentAuc: evaluation.componentAuc };
    const reportHtml = renderModelReport({
      title: `churn-radar model ${plan.version}`,
      modelVersion: plan.version,
      createdAt,
      evaluation: evaluation.report,
      ablation: evaluation.ablation,
      drivers,
      dataSummary: {
        'training snapshots': plan.trainAsOf.join(', '),
        'holdout snapshot': plan.holdoutAsOf,
        'training rows (labelled)': data.labels.length,
        trigger: plan.trigger,
        champion:
          champion === null
            ? 'none yet'
            : `${champion.version} (holdout ROC-AUC ${champion.rocAuc.toFixed(4)})`,
      },
    });
    const files = await modelToFiles(model, plan.version, createdAt, {
      metrics: {
        holdout: plan.holdoutAsOf,
        ...candidate,
        ablation: evaluation.ablation,
        drivers: drivers.groups,
        champion,
      },
      reportHtml,
    });
    model.dispose();
    await deps.runs.putFiles(plan.runId, 'candidate', files);
    return { version: plan.version, candidate, champion };
  };
}

export interface GateDecision {
  readonly accepted: boolean;
  /** Why not (empty when accepted), in words a person can act on. */
  readonly reasons: readonly string[];
  readonly summary: string;
}

/** The champion/challenger gate: floors, then no worse than the champion on the same holdout by more than the margin. */
export function gateCandidate(outcome: StackOutcome, policy: GatePolicy): GateDecision {
  const { candidate, champion } = outcome;
  const reasons: string[] = [];
  const floor = (name: string, value: number, minimum: number) => {
    if (!(value >= minimum)) reasons.push(`${name} ${value.toFixed(4)} is below the floor ${minimum}`);
  };
  floor('ROC-AUC', candidate.rocAuc, policy.minRocAuc);
  floor('precision', candidate.precision, policy.minPrecision);
  floor('recall', candidate.recall, policy.minRecall);
  if (champion !== null && candidate.rocAuc < champion.rocAuc - policy.maxAucDropVsChampion) {
    reasons.push(
      `ROC-AUC ${candidate.rocAuc.toFixed(4)} trails champion ${champion.version} (${champion.rocAuc.toFixed(4)} on the same holdout) by more than ${policy.maxAucDropVsChampion}`,
    );
  }
  const accepted = reasons.length === 0;
  return {
    accepted,
    reasons,
    summary: accepted
      ? `accepted: ROC-AUC ${candidate.rocAuc.toFixed(4)}${champion === null ? ' (first champion)' : ` vs champion ${champion.rocAuc.toFixed(4)}`}`
      : `rejected: ${reasons.join('; ')}`,
  };
}

/** Registers the candidate (immutable from here on), whatever the gate said: a rejected model stays inspectable. */
export function makeRegisterStep(deps: { readonly runs: RunFiles; readonly registry: TrainingRegistry }) {
  return async (input: { plan: TrainingPlan }) => {
    const plan = readPlan(input);
    const files = await deps.runs.getFiles(plan.runId, 'candidate');
    if ((await deps.registry.get(plan.version)) !== undefined) {
      // A retry after a registration that finished but whose answer was lost: already done.
      return { version: plan.version };
    }
    await deps.registry.register(plan.version, files, {
      snapshots: [...plan.trainAsOf],
      holdout: plan.holdoutAsOf,
      horizonDays: plan.horizonDays,
      codeVersion: plan.codeVersion,
      params: plan.params,
      dataRange: { from: addDays(plan.trainAsOf[0] ?? plan.holdoutAsOf, -90), to: plan.observedUntil },
    });
    return { version: plan.version };
  };
}

/** Points an alias at the run's version; `champion` only if nobody moved it since the stack step read it. */
export function makeSetAliasStep(deps: { readonly registry: TrainingRegistry }) {
  return async (input: {
    plan: TrainingPlan;
    evaluation: StackOutcome;
    alias: 'champion' | 'challenger';
    reason?: string;
  }) => {
    const plan = readPlan(input);
    if (input.alias === 'champion') {
      await deps.registry.setAlias('champion', plan.version, {
        expected: input.evaluation.champion?.version,
        reason: input.reason ?? 'passed the gate',
      });
    } else {
      const current = (await deps.registry.aliases()).challenger;
      await deps.registry.setAlias('challenger', plan.version, {
        expected: current,
        reason: input.reason ?? 'rejected by the gate',
      });
    }
    return { alias: input.alias, version: plan.version };
  };
}

export type RunOutcome = 'promoted' | 'rejected' | 'failed';

export interface RunRecord {
  readonly runId: string;
  readonly version: string | null;
  readonly outcome: RunOutcome;
  readonly trigger: string | null;
  readonly reasons: readonly string[];
  readonly candidateRocAuc: number | null;
  readonly championRocAuc: number | null;
  readonly error: { readonly name: string; readonly cause: string } | null;
  readonly recordedAt: string;
}

/** Writes the run's outcome (promoted, rejected with reasons, failed with the error) where `churn model` and dashboards read it. */
export function makeRecordOutcome(deps: {
  readonly put: (record: RunRecord) => Promise<void>;
  readonly now: () => Date;
}) {
  return async (input: {
    plan?: Partial<TrainingPlan>;
    outcome: RunOutcome;
    evaluation?: StackOutcome;
    gate?: GateDecision;
    error?: { Error?: string; Cause?: string };
    executionName?: string;
  }): Promise<RunRecord> => {
    const record: RunRecord = {
      runId: input.plan?.runId ?? input.executionName ?? 'unplanned',
      version: input.plan?.version ?? null,
      outcome: input.outcome,
      trigger: input.plan?.trigger ?? null,
      reasons: input.gate?.reasons ?? [],
      candidateRocAuc: input.evaluation?.candidate.rocAuc ?? null,
      championRocAuc: input.evaluation?.champion?.rocAuc ?? null,
      error:
        input.error === undefined
          ? null
          : { name: input.error.Error ?? 'Unknown', cause: (input.error.Cause ?? '').slice(0, 2000) },
      recordedAt: deps.now().toISOString(),
    };
    await deps.put(record);
    return record;
  };
}
