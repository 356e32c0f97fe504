import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ImportedProfile } from '../../ml/import/profiles.js';
import { customerKey, PROFILE_SK } from './feature-store.js';

/** The feature-store item of a profile (`pk = c#<user_id>`, `sk = profile`). */
export function profileItem(profile: ImportedProfile, updatedAt: string): Record<string, unknown> {
  const { attributes, ...fields } = profile;
  return { pk: customerKey(profile.user_id), sk: PROFILE_SK, ...fields, attributes, updated_at: updatedAt };
}

const BATCH_WRITE_ITEMS = 25;
const BATCH_WRITE_ATTEMPTS = 8;

/** BatchWrite with retries of the unprocessed items; returns the items that never got in. */
export async function putItems(
  documents: DynamoDBDocumentClient,
  table: string,
  items: readonly Record<string, unknown>[],
  options: { concurrency?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<{ written: number; failed: Array<{ item: Record<string, unknown>; error: string }> }> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  const chunks: Record<string, unknown>[][] = [];
  for (let start = 0; start < items.length; start += BATCH_WRITE_ITEMS)
    chunks.push(items.slice(start, start + BATCH_WRITE_ITEMS));
  let written = 0;
  const failed: Array<{ item: Record<string, unknown>; error: string }> = [];
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      let pending = chunks[next++] ?? [];
      let lastError = 'unprocessed by DynamoDB';
      for (let attempt = 1; attempt <= BATCH_WRITE_ATTEMPTS && pending.length > 0; attempt++) {
        if (attempt > 1) await sleep(Math.random() * Math.min(5000, 50 * 2 ** attempt));
        try {
          const response = await documents.send(
            new BatchWriteCommand({
              RequestItems: { [table]: pending.map((Item) => ({ PutRequest: { Item } })) },
            }),
          );
          const unprocessed = response.UnprocessedItems?.[table] ?? [];
          const left = unprocessed
            .map((request) => request.PutRequest?.Item)
            .filter((item): item is Record<string, unknown> => item !== undefined);
          written += pending.length - left.length;
          pending = left;
        } catch (error) {
          lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          if (
            error instanceof Error &&
            ['ResourceNotFoundException', 'ValidationException'].includes(error.name)
          )
            break;
        }
      }
      for (const item of pending) failed.push({ item, error: `${lastError} (after retries)` });
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, chunks.length) }, worker));
  return { written, failed };
}
