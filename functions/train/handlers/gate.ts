import { gateCandidate, readPlan, type StackOutcome, type TrainingPlan } from '../pipeline.js';
import { stepHandler } from '../wiring.js';

/** `Gate`: floors and the champion comparison, with reasons. */
export const handler = stepHandler(async (input: { plan: TrainingPlan; evaluation: StackOutcome }) =>
  gateCandidate(input.evaluation, readPlan(input).gate),
);
