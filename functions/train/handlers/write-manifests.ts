import { makeWriteSnapshotManifest } from '../../snapshot/build-snapshot.js';
import { makeWriteManifests } from '../pipeline.js';
import { snapshotStore, stepHandler } from '../wiring.js';

/** `WriteManifests`: one manifest per snapshot once every bucket of it is built. */
export const handler = stepHandler(
  makeWriteManifests({ writeManifest: makeWriteSnapshotManifest({ store: snapshotStore() }) }),
);
