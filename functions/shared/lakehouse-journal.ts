import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';

/**
 * A per-shard write-ahead record that makes lakehouse appends exactly-once although Lambda
 * delivers Kinesis batches at least once (retries, bisected halves, partial-failure restarts):
 *
 * 1. read the shard's entry; objects left `pending` by a crashed attempt are deleted first;
 * 2. only records after `committedSequence` are written;
 * 3. the keys about to be written are recorded as `pending`, then written;
 * 4. `committedSequence` moves to the last record written and `pending` is cleared.
 *
 * A crash anywhere leaves either the old state (nothing visible) or a pending list that the
 * next attempt removes before writing again. Costs one read and two writes per batch.
 */
export interface ShardJournalEntry {
  readonly committedSequence?: string;
  readonly pendingKeys: readonly string[];
}

export interface LakehouseJournal {
  read(shardId: string): Promise<ShardJournalEntry>;
  begin(shardId: string, entry: ShardJournalEntry, keys: readonly string[]): Promise<void>;
  commit(shardId: string, sequenceNumber: string): Promise<void>;
}

/** Kinesis sequence numbers are decimal strings of up to 128 bits: compare them as integers. */
export function isAfter(sequenceNumber: string, committed: string | undefined): boolean {
  return committed === undefined || BigInt(sequenceNumber) > BigInt(committed);
}

export class DynamoLakehouseJournal implements LakehouseJournal {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Distinguishes streams (and consumers) sharing the table. */
    private readonly streamName: string,
  ) {}

  private key(shardId: string) {
    return { pk: `lakehouse-journal#${this.streamName}`, sk: shardId };
  }

  async read(shardId: string): Promise<ShardJournalEntry> {
    const response = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: this.key(shardId), ConsistentRead: true }),
    );
    const item = response.Item as { committed_sequence?: string; pending_keys?: string[] } | undefined;
    return { committedSequence: item?.committed_sequence, pendingKeys: item?.pending_keys ?? [] };
  }

  async begin(shardId: string, entry: ShardJournalEntry, keys: readonly string[]): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...this.key(shardId),
          committed_sequence: entry.committedSequence,
          pending_keys: [...keys],
          updated_at: new Date().toISOString(),
        },
      }),
    );
  }

  async commit(shardId: string, sequenceNumber: string): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...this.key(shardId),
          committed_sequence: sequenceNumber,
          pending_keys: [],
          updated_at: new Date().toISOString(),
        },
      }),
    );
  }
}
