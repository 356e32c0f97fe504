import { GatePolicy, makePlanTraining } from '../pipeline.js';
import { runStore, snapshotStore, stepHandler } from '../wiring.js';

const gate = GatePolicy.parse(JSON.parse(process.env.TRAINING_GATE ?? '{}'));
const mode = process.env.TRAINING_MODE === 'sagemaker' ? 'sagemaker' : 'lambda';

/** `PlanRun`: cut-offs with settled labels, the version, and the snapshot Map items. */
export const handler = stepHandler(
  makePlanTraining({
    rawDataUntil: (from, until) => snapshotStore().rawDataUntil(from, until),
    now: () => new Date(),
    defaultGate: gate,
    codeVersion: process.env.CODE_VERSION ?? 'unknown',
    trainingMode: mode,
    savePlan: (plan) =>
      runStore().putFiles(
        plan.runId,
        'plan',
        new Map([['plan.json', new TextEncoder().encode(JSON.stringify(plan))]]),
      ),
  }),
);
