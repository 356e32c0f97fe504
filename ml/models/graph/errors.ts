/**
 * Input that breaks the graph model's contract (examples, parameters). The message starts with
 * the path of the offending field, e.g. `snapshots[0][12].features.tenure_days: ...`.
 */
export class GraphDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphDataError';
  }
}

/** An artifact that `loadGraphModel` cannot read; the message names the field. */
export class GraphArtifactError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphArtifactError';
  }
}
