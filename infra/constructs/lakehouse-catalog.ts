import { Stack } from 'aws-cdk-lib';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface LakehouseCatalogProps {
  readonly bucket: IBucket;
  /** Glue database name; letters, digits and underscores. */
  readonly databaseName: string;
  /** Customer hash buckets of the raw layout (functions/shared/lakehouse.ts). */
  readonly customerBuckets: number;
}

/**
 * The Glue database and `events` table over `raw/dt=YYYY-MM-DD/bucket=NN/`, so analysts can
 * query the lakehouse with Athena. Partition projection computes partitions from the layout,
 * so no crawler or MSCK REPAIR is needed as days are added.
 */
export class LakehouseCatalog extends Construct {
  public readonly database: CfnDatabase;
  public readonly eventsTable: CfnTable;

  constructor(scope: Construct, id: string, props: LakehouseCatalogProps) {
    super(scope, id);
    if (!/^[a-z0-9_]{1,255}$/.test(props.databaseName)) {
      throw new Error(
        `LakehouseCatalog ${id}: databaseName must be lower-case letters, digits and _, got ${props.databaseName}`,
      );
    }
    const account = Stack.of(this).account;
    this.database = new CfnDatabase(this, 'Database', {
      catalogId: account,
      databaseInput: { name: props.databaseName, description: 'churn-radar lakehouse' },
    });
    const location = `s3://${props.bucket.bucketName}/raw/`;
    const lastBucket = String(props.customerBuckets - 1).padStart(2, '0');
    this.eventsTable = new CfnTable(this, 'EventsTable', {
      catalogId: account,
      databaseName: props.databaseName,
      tableInput: {
        name: 'events',
        description: 'Validated customer events, as received from the stream or imported',
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: 'parquet',
          'projection.enabled': 'true',
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.dt.range': '2015-01-01,NOW',
          'projection.dt.interval': '1',
          'projection.dt.interval.unit': 'DAYS',
          'projection.bucket.type': 'integer',
          'projection.bucket.range': `00,${lastBucket}`,
          'projection.bucket.digits': '2',
          'storage.location.template': `${location}dt=\${dt}/bucket=\${bucket}/`,
        },
        partitionKeys: [
          { name: 'dt', type: 'string' },
          { name: 'bucket', type: 'string' },
        ],
        storageDescriptor: {
          location,
          inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
          columns: [
            { name: 'event_id', type: 'string' },
            { name: 'user_id', type: 'string' },
            { name: 'ts', type: 'string', comment: 'ISO 8601 UTC' },
            { name: 'type', type: 'string' },
            { name: 'properties', type: 'string', comment: 'JSON object' },
            { name: 'day', type: 'string' },
          ],
        },
      },
    });
    this.eventsTable.addDependency(this.database);
  }
}
