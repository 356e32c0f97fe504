import { logger } from '../../shared/observability.js';
import { makeTrainComponentStep } from '../pipeline.js';
import { runStore, snapshotStore, stepHandler } from '../wiring.js';

/** `TrainGbdt` / `TrainSequence` / `TrainGraph`: one component's folds and refit. */
export const handler = stepHandler(
  makeTrainComponentStep({
    readSnapshot: (asOf, horizonDays) => snapshotStore().readSnapshot(asOf, horizonDays),
    runs: runStore(),
    log: (message) => logger.info(message),
  }),
);
