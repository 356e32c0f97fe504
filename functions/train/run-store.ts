import {
  GetObjectCommand,
  ListObjectsCommand,
  type ListObjectsCommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ChurnRadarError } from '../shared/errors.js';

/** `runs/<runId>/`: what the training state machine's steps hand each other, in the model bucket. */
export const RUNS_PREFIX = 'runs/';

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** A step found a run's files missing or inconsistent: a bug or a torn run, never worth a retry. */
export class TrainingRunError extends ChurnRadarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'TrainingRunError', 500, options);
  }
}

export function runPrefix(runId: string, part: string): string {
  if (!RUN_ID.test(runId))
    throw new TrainingRunError(`runId: expected 1-100 letters, digits, '.', '_' or '-', got "${runId}"`);
  return `${RUNS_PREFIX}${runId}/${part}/`;
}

/** Files of one training run's parts (a component's fold results, the candidate artifact) in S3. */
export class S3TrainingRunStore {
  private readonly s3: S3Client;
  private readonly bucket: string;

  constructor(s3: S3Client, bucket: string) {
    this.s3 = s3;
    this.bucket = bucket;
  }

  async putFiles(runId: string, part: string, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
    const prefix = runPrefix(runId, part);
    // A retried step rewrites the same keys with the same bytes: idempotent.
    await Promise.all(
      [...files].map(([name, body]) =>
        this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: `${prefix}${name}`, Body: body })),
      ),
    );
  }

  async getFiles(runId: string, part: string): Promise<Map<string, Uint8Array>> {
    const prefix = runPrefix(runId, part);
    const keys: string[] = [];
    let marker: string | undefined;
    do {
      const response: ListObjectsCommandOutput = await this.s3.send(
        new ListObjectsCommand({
          Bucket: this.bucket,
          Prefix: prefix,
          ...(marker === undefined ? {} : { Marker: marker }),
        }),
      );
      const page = (response.Contents ?? []).flatMap((object) =>
        object.Key === undefined ? [] : [object.Key],
      );
      keys.push(...page);
      marker = response.IsTruncated === true ? page.at(-1) : undefined;
    } while (marker !== undefined);
    if (keys.length === 0)
      throw new TrainingRunError(
        `s3://${this.bucket}/${prefix}: no files (did the step that writes them run?)`,
      );
    const files = new Map<string, Uint8Array>();
    await Promise.all(
      keys.map(async (key) => {
        const response = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
        if (response.Body === undefined) throw new TrainingRunError(`s3://${this.bucket}/${key}: no body`);
        files.set(key.slice(prefix.length), await response.Body.transformToByteArray());
      }),
    );
    return files;
  }
}
