import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type ITable,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  ObjectOwnership,
  StorageClass,
} from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { LAKEHOUSE_BUCKETS } from '../../functions/shared/lakehouse.js';
import { type ChurnRadarConfig, isProtectedStage } from '../config.js';
import { LakehouseCatalog } from '../constructs/lakehouse-catalog.js';
import {
  type BucketDescription,
  exportBucket,
  failedBatchBucket,
  featureTable,
  type IndexDescription,
  lakehouseBucket,
  modelBucket,
  operationsTable,
  type TableDescription,
} from '../resources.js';

export interface DataStackProps extends StackProps {
  readonly config: ChurnRadarConfig;
}

const attributeType = { S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY } as const;

function projection(index: IndexDescription) {
  if (index.projection === 'ALL') return { projectionType: ProjectionType.ALL };
  if (index.projection === 'KEYS_ONLY') return { projectionType: ProjectionType.KEYS_ONLY };
  return { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.projection] };
}

/**
 * The stateful half of churn-radar: the online feature store, the operations table and
 * the lakehouse, model and export buckets, all encrypted with one customer-managed key.
 * Kept apart from the stateless stacks so they can be replaced freely; retained and
 * termination-protected in protected stages.
 */
export class DataStack extends Stack {
  public readonly key: Key;
  public readonly featureTable: ITable;
  public readonly operationsTable: ITable;
  public readonly lakehouseBucket: IBucket;
  public readonly modelBucket: IBucket;
  public readonly exportBucket: IBucket;
  public readonly failedBatchBucket: IBucket;
  public readonly catalog: LakehouseCatalog;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    const protectedStage = isProtectedStage(props.config);
    super(scope, id, { ...props, terminationProtection: props.terminationProtection ?? protectedStage });
    const removalPolicy = protectedStage ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.key = new Key(this, 'DataKey', {
      description: `churn-radar ${props.config.stage}: customer data at rest`,
      enableKeyRotation: true,
      removalPolicy,
    });

    const table = (description: TableDescription) => {
      const created = new Table(this, description.id, {
        partitionKey: {
          name: description.partitionKey.name,
          type: attributeType[description.partitionKey.type],
        },
        sortKey: description.sortKey
          ? { name: description.sortKey.name, type: attributeType[description.sortKey.type] }
          : undefined,
        billingMode: BillingMode.PAY_PER_REQUEST,
        encryption: TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: this.key,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        timeToLiveAttribute: description.timeToLiveAttribute,
        deletionProtection: protectedStage,
        removalPolicy,
      });
      for (const index of description.globalSecondaryIndexes) {
        created.addGlobalSecondaryIndex({
          indexName: index.indexName,
          partitionKey: { name: index.partitionKey.name, type: attributeType[index.partitionKey.type] },
          sortKey: index.sortKey
            ? { name: index.sortKey.name, type: attributeType[index.sortKey.type] }
            : undefined,
          ...projection(index),
        });
      }
      return created;
    };
    this.featureTable = table(featureTable);
    this.operationsTable = table(operationsTable);

    const accessLogs = new Bucket(this, 'AccessLogBucket', {
      // Server access logs can only be delivered to SSE-S3 buckets.
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [{ expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy,
      autoDeleteObjects: false,
    });
    NagSuppressions.addResourceSuppressions(accessLogs, [
      { id: 'AwsSolutions-S1', reason: 'This is the access-log bucket; logging it into itself would loop.' },
    ]);

    const bucket = (
      description: BucketDescription,
      lifecycleRules: ConstructorParameters<typeof Bucket>[2],
    ) =>
      new Bucket(this, description.id, {
        encryption: BucketEncryption.KMS,
        encryptionKey: this.key,
        bucketKeyEnabled: true,
        blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
        objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
        enforceSSL: true,
        versioned: true,
        serverAccessLogsBucket: accessLogs,
        serverAccessLogsPrefix: `${description.id}/`,
        removalPolicy,
        ...lifecycleRules,
      });

    const lake = props.config.lakehouse;
    this.lakehouseBucket = bucket(lakehouseBucket, {
      lifecycleRules: [
        {
          id: 'raw-events',
          prefix: 'raw/',
          transitions: [
            {
              storageClass: StorageClass.INFREQUENT_ACCESS,
              transitionAfter: Duration.days(lake.infrequentAccessAfterDays),
            },
          ],
          expiration: Duration.days(lake.expireRawAfterDays),
          // Erasure deletes objects; old versions must not keep the data alive for long.
          noncurrentVersionExpiration: Duration.days(7),
        },
        {
          id: 'quarantine',
          prefix: 'quarantine/',
          expiration: Duration.days(lake.expireQuarantineAfterDays),
          noncurrentVersionExpiration: Duration.days(7),
        },
        { id: 'snapshots', prefix: 'snapshots/', noncurrentVersionExpiration: Duration.days(7) },
        { id: 'incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    this.modelBucket = bucket(modelBucket, {
      lifecycleRules: [
        { id: 'old-versions', noncurrentVersionExpiration: Duration.days(90) },
        { id: 'incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    this.exportBucket = bucket(exportBucket, {
      lifecycleRules: [
        {
          id: 'segments',
          prefix: 'segments/',
          expiration: Duration.days(90),
          noncurrentVersionExpiration: Duration.days(7),
        },
        { id: 'incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    this.failedBatchBucket = bucket(failedBatchBucket, {
      lifecycleRules: [
        {
          id: 'failed-batches',
          expiration: Duration.days(90),
          noncurrentVersionExpiration: Duration.days(7),
        },
      ],
    });

    this.catalog = new LakehouseCatalog(this, 'Catalog', {
      bucket: this.lakehouseBucket,
      databaseName: `churn_radar_${props.config.stage.replace(/-/g, '_')}`,
      customerBuckets: LAKEHOUSE_BUCKETS,
    });
  }
}
