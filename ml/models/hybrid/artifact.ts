import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { formatIssues } from '../../schema/index.js';
import { loadModel, saveModel } from '../gbdt/model-json.js';
import { loadGraphModel } from '../graph/index.js';
import { loadSequenceModel } from '../sequence/index.js';
import { reviveStacker } from '../stack/index.js';
import type { TrainingBaseline } from './baseline.js';
import { type DecisionPolicy, HybridModel, type TrainingRecord } from './model.js';
import { TabularEncoder } from './tabular.js';

export const ARTIFACT_FORMAT = 'churn-radar/model';
export const ARTIFACT_VERSION = 1;

/** An artifact's files by name (`manifest.json`, `gbdt.json`, ...): what goes to S3 under `models/<version>/`. */
export type ArtifactFiles = Map<string, Uint8Array>;

/** The artifact does not have the shape this code writes; the message names the file and field. */
export class ModelArtifactError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ModelArtifactError';
  }
}

const Manifest = z.object({
  format: z.literal(ARTIFACT_FORMAT),
  version: z.literal(ARTIFACT_VERSION),
  model_version: z.string().min(1),
  created_at: z.string(),
  components: z.array(z.enum(['gbdt', 'sequence', 'graph'])),
  /** SHA-256 of every other file: a registered version is immutable, and a torn copy is caught. */
  files: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
  decision: z.object({
    threshold: z.number(),
    precision: z.number(),
    recall: z.number(),
    costs: z.object({ contactCost: z.number(), savedCustomerValue: z.number(), saveRate: z.number() }),
    bands: z.object({ high: z.number(), medium: z.number() }),
  }),
  training: z.record(z.string(), z.unknown()),
});
export type ModelManifest = z.infer<typeof Manifest>;

const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export interface ArtifactExtras {
  /** `metrics.json`: the evaluation on the holdout. */
  readonly metrics?: unknown;
  /** `report.html`. */
  readonly reportHtml?: string;
}

/** Everything needed to score and to monitor, as files. */
export async function modelToFiles(
  model: HybridModel,
  modelVersion: string,
  createdAt: string,
  extras: ArtifactExtras = {},
): Promise<ArtifactFiles> {
  const files: ArtifactFiles = new Map();
  files.set('gbdt.json', new TextEncoder().encode(saveModel(model.gbdt)));
  if (model.sequence !== undefined) {
    const artifact = await model.sequence.toArtifact();
    files.set(
      'sequence.json',
      encode({ format: artifact.format, version: artifact.version, meta: artifact.meta }),
    );
    files.set('sequence.weights.bin', artifact.weights);
  }
  if (model.graph !== undefined) {
    const artifact = await model.graph.toArtifact();
    files.set(
      'graph.json',
      encode({ format: artifact.format, version: artifact.version, meta: artifact.meta }),
    );
    files.set('graph.weights.bin', artifact.weights);
  }
  files.set('stacker.json', encode(model.stacker));
  files.set('baseline.json', encode(model.baseline));
  if (extras.metrics !== undefined) files.set('metrics.json', encode(extras.metrics));
  if (extras.reportHtml !== undefined) files.set('report.html', new TextEncoder().encode(extras.reportHtml));
  const manifest: ModelManifest = {
    format: ARTIFACT_FORMAT,
    version: ARTIFACT_VERSION,
    model_version: modelVersion,
    created_at: createdAt,
    components: [...model.components],
    files: Object.fromEntries([...files].map(([name, bytes]) => [name, sha256(bytes)])),
    decision: model.decision,
    training: model.training as unknown as Record<string, unknown>,
  };
  files.set('manifest.json', encode(manifest));
  return files;
}

function json(files: ReadonlyMap<string, Uint8Array>, name: string): unknown {
  const bytes = files.get(name);
  if (bytes === undefined) throw new ModelArtifactError(`${name}: missing from the artifact`);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new ModelArtifactError(`${name}: not JSON (${(error as Error).message})`, { cause: error });
  }
}

export function readManifest(files: ReadonlyMap<string, Uint8Array>): ModelManifest {
  const parsed = Manifest.safeParse(json(files, 'manifest.json'));
  if (!parsed.success) throw new ModelArtifactError(`manifest.json: ${formatIssues(parsed.error)}`);
  return parsed.data;
}

/** Rebuilds the model from its files, after checking every file against the manifest's hash. */
export async function modelFromFiles(files: ReadonlyMap<string, Uint8Array>): Promise<HybridModel> {
  const manifest = readManifest(files);
  for (const [name, hash] of Object.entries(manifest.files)) {
    const bytes = files.get(name);
    if (bytes === undefined) throw new ModelArtifactError(`${name}: listed in manifest.json but missing`);
    if (sha256(bytes) !== hash)
      throw new ModelArtifactError(`${name}: content does not match manifest.json (changed or torn)`);
  }
  const gbdt = loadModel(new TextDecoder().decode(files.get('gbdt.json')));
  const withWeights = (name: string): Record<string, unknown> => {
    const head = json(files, `${name}.json`);
    if (typeof head !== 'object' || head === null)
      throw new ModelArtifactError(`${name}.json: expected an object`);
    return { ...head, weights: files.get(`${name}.weights.bin`) };
  };
  const sequence = manifest.components.includes('sequence')
    ? await loadSequenceModel(withWeights('sequence') as unknown as Parameters<typeof loadSequenceModel>[0])
    : undefined;
  const graph = manifest.components.includes('graph')
    ? await loadGraphModel(withWeights('graph') as unknown as Parameters<typeof loadGraphModel>[0])
    : undefined;
  let stacker: ReturnType<typeof reviveStacker>;
  try {
    stacker = reviveStacker(json(files, 'stacker.json'));
  } catch (error) {
    throw new ModelArtifactError(`stacker.json: ${(error as Error).message}`, { cause: error });
  }
  return new HybridModel({
    encoder: new TabularEncoder(gbdt.features),
    gbdt,
    ...(sequence === undefined ? {} : { sequence }),
    ...(graph === undefined ? {} : { graph }),
    stacker,
    decision: manifest.decision as DecisionPolicy,
    baseline: json(files, 'baseline.json') as TrainingBaseline,
    training: manifest.training as unknown as TrainingRecord,
  });
}

export async function writeArtifactDirectory(
  directory: string,
  files: ReadonlyMap<string, Uint8Array>,
): Promise<void> {
  await mkdir(directory, { recursive: true });
  // The manifest last: a reader that finds it finds every file it lists.
  const names = [...files.keys()].sort((a, b) =>
    a === 'manifest.json' ? 1 : b === 'manifest.json' ? -1 : a < b ? -1 : 1,
  );
  for (const name of names) await writeFile(join(directory, name), files.get(name) as Uint8Array);
}

export async function readArtifactDirectory(directory: string): Promise<ArtifactFiles> {
  const files: ArtifactFiles = new Map();
  for (const name of await readdir(directory))
    files.set(name, new Uint8Array(await readFile(join(directory, name))));
  return files;
}
