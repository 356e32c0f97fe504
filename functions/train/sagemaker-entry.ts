/**
 * Entry point of the training container (SageMaker mode): the same component step as the
 * `train-component` Lambda function, for data beyond Lambda's limits. The state machine passes
 * `RUN_ID` and `COMPONENT` in the job's environment; the plan is read from the run's files.
 */
import { logger } from '../shared/observability.js';
import { makeTrainComponentStep, type TrainingPlan } from './pipeline.js';
import { runStore, snapshotStore } from './wiring.js';

const runId = process.env.RUN_ID ?? '';
const component = process.env.COMPONENT ?? '';
const runs = runStore();
const planBytes = (await runs.getFiles(runId, 'plan')).get('plan.json');
if (planBytes === undefined) throw new Error(`run ${runId} has no plan.json`);
const plan = JSON.parse(new TextDecoder().decode(planBytes)) as TrainingPlan;
const result = await makeTrainComponentStep({
  readSnapshot: (asOf, horizonDays) => snapshotStore().readSnapshot(asOf, horizonDays),
  runs,
  log: (message) => logger.info(message),
})({ plan, component });
logger.info('component trained', { result });
