import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';

/**
 * Keys of the online feature store (one table, see infra/resources.ts):
 * - `c#<user_id>` / `profile`: who the customer is (imported or from the CRM);
 * - `c#<user_id>` / `day#YYYY-MM-DD`: that day's activity aggregate, expiring after the feature window;
 * - `c#<user_id>` / `score`: the latest score, segment and reasons (written by scoring).
 */
export const customerKey = (userId: string) => `c#${userId}`;
export const dayKey = (day: string) => `day#${day}`;
export const PROFILE_SK = 'profile';

/** A day item as stored: the aggregate, which events it already holds, and a version for optimistic writes. */
export interface StoredDay<TDay> {
  readonly userId: string;
  readonly day: string;
  readonly aggregate: TDay;
  /** Short hashes of the event ids folded in, so a redelivered or re-sent event is not counted twice. */
  readonly eventIds: readonly string[];
  /** 0 for a day not yet stored. */
  readonly version: number;
}

export type PutDayResult = 'written' | 'conflict';

/** What the feature processor and scoring need of the online store; tests pass fakes. */
export interface FeatureStore<TDay> {
  getDays(keys: readonly { userId: string; day: string }[]): Promise<Map<string, StoredDay<TDay>>>;
  /** Writes the day if nobody else wrote it since `expectedVersion` was read. */
  putDay(day: StoredDay<TDay>, expectedVersion: number): Promise<PutDayResult>;
  /** Days in [fromDay, toDay) of one customer, oldest first. */
  queryDays(userId: string, fromDay: string, toDay: string): Promise<StoredDay<TDay>[]>;
  getProfile(userId: string): Promise<Record<string, unknown> | undefined>;
}

export const storedDayKey = (userId: string, day: string) => `${userId}\u0000${day}`;

interface DayItem<TDay> {
  pk: string;
  sk: string;
  user_id: string;
  day: string;
  agg: TDay;
  event_ids: string[];
  version: number;
  expires_at: number;
}

/** BatchGetItem takes at most 100 keys per call. */
const BATCH_GET_LIMIT = 100;
const MAX_UNPROCESSED_ROUNDS = 8;

export interface DynamoFeatureStoreOptions<TDay> {
  /** Day items expire this many days after their day (the feature window plus a margin). */
  readonly dailyItemTtlDays: number;
  /** Checks and normalises an aggregate read back from the table (ml/features `reviveDay`). */
  readonly revive: (stored: unknown) => TDay;
}

export class DynamoFeatureStore<TDay> implements FeatureStore<TDay> {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: DynamoFeatureStoreOptions<TDay>,
  ) {}

  async getDays(keys: readonly { userId: string; day: string }[]): Promise<Map<string, StoredDay<TDay>>> {
    const found = new Map<string, StoredDay<TDay>>();
    const unique = [...new Map(keys.map((key) => [storedDayKey(key.userId, key.day), key])).values()];
    for (let start = 0; start < unique.length; start += BATCH_GET_LIMIT) {
      let pending: Record<string, unknown>[] = unique
        .slice(start, start + BATCH_GET_LIMIT)
        .map((key) => ({ pk: customerKey(key.userId), sk: dayKey(key.day) }));
      for (let round = 0; pending.length > 0; round++) {
        if (round >= MAX_UNPROCESSED_ROUNDS) {
          throw new Error(
            `feature store: ${pending.length} day items still unprocessed after ${round} BatchGet rounds`,
          );
        }
        if (round > 0) await backoff(round);
        const response = await this.documents.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        for (const item of (response.Responses?.[this.tableName] ?? []) as DayItem<TDay>[]) {
          found.set(storedDayKey(item.user_id, item.day), fromItem(item, this.options.revive));
        }
        pending = (response.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return found;
  }

  async putDay(day: StoredDay<TDay>, expectedVersion: number): Promise<PutDayResult> {
    const item: DayItem<TDay> = {
      pk: customerKey(day.userId),
      sk: dayKey(day.day),
      user_id: day.userId,
      day: day.day,
      agg: day.aggregate,
      event_ids: [...day.eventIds],
      version: expectedVersion + 1,
      expires_at:
        Math.floor(Date.parse(`${day.day}T00:00:00Z`) / 1000) + this.options.dailyItemTtlDays * 86_400,
    };
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : '#version = :expected',
          ExpressionAttributeNames: expectedVersion === 0 ? undefined : { '#version': 'version' },
          ExpressionAttributeValues: expectedVersion === 0 ? undefined : { ':expected': expectedVersion },
        }),
      );
      return 'written';
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return 'conflict';
      throw error;
    }
  }

  async queryDays(userId: string, fromDay: string, toDay: string): Promise<StoredDay<TDay>[]> {
    const days: StoredDay<TDay>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const response = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          // `to` is exclusive: the last key before it sorts below `day#<toDay>`.
          ExpressionAttributeValues: {
            ':pk': customerKey(userId),
            ':from': dayKey(fromDay),
            ':to': dayKey(toDay),
          },
          ExclusiveStartKey: startKey,
          ConsistentRead: true,
        }),
      );
      for (const item of (response.Items ?? []) as DayItem<TDay>[]) {
        if (item.day < toDay) days.push(fromItem(item, this.options.revive));
      }
      startKey = response.LastEvaluatedKey;
    } while (startKey);
    return days;
  }

  async getProfile(userId: string): Promise<Record<string, unknown> | undefined> {
    const response = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: customerKey(userId), sk: PROFILE_SK } }),
    );
    return response.Item;
  }
}

function fromItem<TDay>(item: DayItem<TDay>, revive: (stored: unknown) => TDay): StoredDay<TDay> {
  return {
    userId: item.user_id,
    day: item.day,
    aggregate: revive(item.agg),
    eventIds: item.event_ids ?? [],
    version: Number(item.version ?? 0),
  };
}

function backoff(round: number): Promise<void> {
  const ms = Math.min(1000, 25 * 2 ** round) * (0.5 + Math.random() / 2);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
