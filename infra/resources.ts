/**
 * The one description of churn-radar's stateful resources. The CDK stacks build
 * their tables, buckets and stream from it, and the local cloud creates the same
 * resources from it, so the two cannot drift apart (test/infra/resources.test.ts
 * compares the synthesized template with what the local cloud creates).
 *
 * Plain data on purpose: no CDK or SDK types, so `functions/` and `local/` can
 * import it without pulling in aws-cdk-lib.
 */

export type AttributeType = 'S' | 'N' | 'B';

export interface KeyAttribute {
  readonly name: string;
  readonly type: AttributeType;
}

export interface IndexDescription {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Attributes copied into the index besides the keys; `ALL` copies the item. */
  readonly projection: 'ALL' | 'KEYS_ONLY' | readonly string[];
}

export interface TableDescription {
  /** Construct id in CDK and the suffix of the local table name. */
  readonly id: string;
  /** What the table holds, for the README and the console. */
  readonly purpose: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Epoch-seconds attribute after which DynamoDB deletes the item. */
  readonly timeToLiveAttribute?: string;
  readonly globalSecondaryIndexes: readonly IndexDescription[];
  /** Environment variable through which functions learn the physical name. */
  readonly envVar: string;
}

export interface BucketDescription {
  readonly id: string;
  readonly purpose: string;
  /** Key prefixes and what lives under them. */
  readonly prefixes: Readonly<Record<string, string>>;
  readonly envVar: string;
}

export interface StreamDescription {
  readonly id: string;
  readonly purpose: string;
  /** Shards when the configuration does not say otherwise. */
  readonly defaultShardCount: number;
  readonly envVar: string;
}

export const featureTable: TableDescription = {
  id: 'FeatureTable',
  purpose:
    'Online feature store: one item per customer (profile, features, latest score) plus daily activity items that expire.',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  timeToLiveAttribute: 'expires_at',
  globalSecondaryIndexes: [
    {
      // Risk lists: customers sorted by risk within a shard of the population.
      indexName: 'by-risk',
      partitionKey: { name: 'risk_shard', type: 'S' },
      sortKey: { name: 'risk_rank', type: 'S' },
      projection: 'ALL',
    },
    {
      // A manager's own customers, sorted by risk.
      indexName: 'by-manager',
      partitionKey: { name: 'manager_id', type: 'S' },
      sortKey: { name: 'risk_rank', type: 'S' },
      projection: 'ALL',
    },
  ],
  envVar: 'FEATURE_TABLE',
};

export const operationsTable: TableDescription = {
  id: 'OperationsTable',
  purpose:
    'Processed-event ids for de-duplication (with TTL), feedback, campaign tracking and the erasure audit trail.',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  timeToLiveAttribute: 'expires_at',
  globalSecondaryIndexes: [],
  envVar: 'OPERATIONS_TABLE',
};

export const lakehouseBucket: BucketDescription = {
  id: 'LakehouseBucket',
  purpose: 'Raw events (Parquet), quarantined records, training snapshots, imported profiles and labels.',
  prefixes: {
    'raw/': 'validated events, Parquet, partitioned by date and customer hash bucket',
    'quarantine/': 'records that failed validation, with the reason and stream position',
    'snapshots/': 'point-in-time feature snapshots with labels',
    'profiles/': 'imported profile tables',
    'labels/': 'imported and observed churn outcomes',
  },
  envVar: 'LAKEHOUSE_BUCKET',
};

export const modelBucket: BucketDescription = {
  id: 'ModelBucket',
  purpose: 'Model registry: versioned artifacts, metrics, reports and the alias index.',
  prefixes: { 'models/': 'one folder per model version', 'registry/': 'aliases (champion, challenger)' },
  envVar: 'MODEL_BUCKET',
};

export const exportBucket: BucketDescription = {
  id: 'ExportBucket',
  purpose: 'Marketing segment exports (CSV and JSONL) and drift reports.',
  prefixes: { 'segments/': 'daily segment files', 'reports/': 'drift and evaluation reports' },
  envVar: 'EXPORT_BUCKET',
};

export const failedBatchBucket: BucketDescription = {
  id: 'FailedBatchBucket',
  purpose:
    'Where the Kinesis event-source mapping describes batches that exhausted their retries (its on-failure destination).',
  prefixes: { 'aws/lambda/': 'one JSON record per failed batch: shard and sequence-number range' },
  envVar: 'FAILED_BATCH_BUCKET',
};

export const eventStream: StreamDescription = {
  id: 'EventStream',
  purpose: 'Customer events from apps, billing, helpdesk and CRM webhooks.',
  defaultShardCount: 2,
  envVar: 'EVENT_STREAM',
};

export const tables = [featureTable, operationsTable] as const;
export const buckets = [lakehouseBucket, modelBucket, exportBucket, failedBatchBucket] as const;
export const streams = [eventStream] as const;

/** Physical name used by the local cloud: `<prefix>-<id in kebab case>`. */
export function localName(prefix: string, id: string): string {
  const kebab = id
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/-(table|bucket|stream)$/, '');
  return `${prefix}-${kebab}`;
}
