import { makeStackStep } from '../pipeline.js';
import { modelRegistry, runStore, snapshotStore, stepHandler } from '../wiring.js';

/** `StackAndEvaluate`: stacker, calibration, threshold; candidate and champion on the holdout. */
export const handler = stepHandler(
  makeStackStep({
    readSnapshot: (asOf, horizonDays) => snapshotStore().readSnapshot(asOf, horizonDays),
    runs: runStore(),
    registry: modelRegistry(),
    now: () => new Date(),
  }),
);
