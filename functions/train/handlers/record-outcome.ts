import { makeRecordOutcome } from '../pipeline.js';
import { putRunRecord, stepHandler } from '../wiring.js';

/** `RecordPromoted` / `RecordRejected` / `RecordFailure`: the run's outcome in the operations table. */
export const handler = stepHandler(makeRecordOutcome({ put: putRunRecord, now: () => new Date() }));
