import { join, resolve } from 'node:path';
import type { StackOutcome, TrainingPlan } from '../../functions/train/pipeline.js';
import { writeArtifactDirectory } from '../../ml/models/hybrid/index.js';
import type { LocalCloud } from '../cloud/local-cloud.js';
import type { ExecutionResult } from '../cloud/step-functions.js';
import { localTrainingMachine, type PutEventEntry, type TrainingTarget } from '../wiring/training.js';

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
  cloud: LocalCloud | TrainingTarget,
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

function twoColumns(rows: readonly (readonly string[])[]): string {
  const width = Math.max(...rows.map((row) => (row[0] ?? '').length));
  return rows.map((row) => `${(row[0] ?? '').padEnd(width)}  ${row[1] ?? ''}`).join('\n');
}

/** The run as a two-column table for a terminal: snapshots, metrics, gate, champion, report, state times. */
export function formatTrainingReport(training: LocalTrainingReport): string {
  const { plan, evaluation, gate } = training;
  if (evaluation === undefined || plan === undefined) {
    return twoColumns([
      ['failed', `${training.execution.error ?? ''}: ${(training.execution.cause ?? '').slice(0, 300)}`],
    ]);
  }
  const { candidate, champion } = evaluation;
  const pct = (value: number) => `${(100 * value).toFixed(1)}%`;
  const rows: string[][] = [
    [
      'snapshots',
      `train ${plan.trainAsOf.join(', ')}; holdout ${plan.holdoutAsOf} (${plan.horizonDays}-day window)`,
    ],
    ['holdout', `${candidate.customers.toLocaleString('en-US')} customers, ${candidate.churners} churned`],
    [
      'ROC-AUC',
      `${candidate.rocAuc.toFixed(4)} (${Object.entries(candidate.componentAuc)
        .map(([name, auc]) => `${name} ${auc.toFixed(3)}`)
        .join(', ')})`,
    ],
    ['PR-AUC', candidate.prAuc.toFixed(4)],
    [
      'at threshold',
      `${candidate.threshold.toFixed(3)}: precision ${pct(candidate.precision)}, recall ${pct(candidate.recall)}`,
    ],
    ['gate', gate?.summary ?? 'not reached'],
    ['champion', `${training.champion ?? 'none'}${champion === null ? '' : ` (was ${champion.version})`}`],
    [
      'report',
      training.artifactDirectory === undefined ? 'none' : `${training.artifactDirectory}/report.html`,
    ],
    [
      'state times',
      Object.entries(training.stateSeconds)
        .filter(([, seconds]) => seconds >= 0.5)
        .map(([state, seconds]) => `${state} ${seconds.toFixed(1)} s`)
        .join(', '),
    ],
  ];
  return twoColumns(rows.map(([name, value]) => [`  ${name}`, value ?? '']));
}
