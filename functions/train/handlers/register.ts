import { makeRegisterStep } from '../pipeline.js';
import { modelRegistry, runStore, stepHandler } from '../wiring.js';

/** `Register`: the candidate becomes an immutable registered version. */
export const handler = stepHandler(makeRegisterStep({ runs: runStore(), registry: modelRegistry() }));
