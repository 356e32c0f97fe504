import { makeSetAliasStep } from '../pipeline.js';
import { modelRegistry, stepHandler } from '../wiring.js';

/** `PromoteChampion` / `MarkChallenger`: atomic alias moves. */
export const handler = stepHandler(makeSetAliasStep({ registry: modelRegistry() }));
