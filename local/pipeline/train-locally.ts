import { join, resolve } from 'node:path';
import type { StackOutcome, TrainingPlan } from '../../functions/train/pipeline.js';
import { writeArtifactDirectory } from '../../ml/models/hybrid/index.js';
import type { LocalCloud } from '../cloud/local-cloud.js';
import type { ExecutionResult } from '../cloud/step-functions.js';
import { localTrainingMachine, type PutEventEntry } from '../wiring/training.js';

export interface LocalTrainingReport {
  readonly execution: ExecutionResult;
  readonly plan: TrainingPlan | undefined;
  readonly evaluation: StackOutcome | undefined;
  readonly gate: { accepted: boolean; reasons: string[]; summary: string } | undefined;
  readonly champion: string | undefined;
  /** Where the run's model artifact (with report.html) was copied, when one was registered. */
  readonly artifactDirectory: string | undefined;
  readonly events: readonly PutEventEntry[];
  /** Seconds per state, summed over Map iterations and parallel branches. */
  readonly stateSeconds: Readonly<Record<string, number>>;
}

/**
 * Runs `statemachines/train.asl.json` on the local cloud (the same file AWS runs) and copies the
 * registered model's artifact to `outDirectory/<version>/` so its report can be opened.
 */
export async function trainLocally(
  cloud: LocalCloud,
  request: Record<string, unknown>,
  options: { readonly outDirectory: string; readonly log?: (line: string) => void },
): Promise<LocalTrainingReport> {
  const events: PutEventEntry[] = [];
  const machine = localTrainingMachine(cloud, {
    onEvent: (entry) => events.push(entry),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  const execution = await machine.run(request);
  const output = (execution.output ?? {}) as {
    plan?: TrainingPlan;
    stack?: { value?: StackOutcome };
    gate?: { value?: { accepted: boolean; reasons: string[]; summary: string } };
  };
  const plan = output.plan;
  let artifactDirectory: string | undefined;
  if (plan?.version !== undefined && (await machine.registry.get(plan.version)) !== undefined) {
    artifactDirectory = resolve(join(options.outDirectory, plan.version));
    await writeArtifactDirectory(artifactDirectory, await machine.registry.readFiles(plan.version));
  }
  return {
    execution,
    plan,
    evaluation: output.stack?.value,
    gate: output.gate?.value,
    champion: (await machine.registry.aliases()).champion,
    artifactDirectory,
    events,
    stateSeconds: Object.fromEntries(
      Object.entries(execution.stateDurations).map(([state, ms]) => [state, ms / 1000]),
    ),
  };
}
