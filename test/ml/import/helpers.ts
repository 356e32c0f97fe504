import { gzipSync } from 'node:zlib';
import type { SourceRow } from '../../../ml/import/source-reader.js';

/** The bytes of `content` as a stream of small chunks, so records straddle chunk boundaries. */
export async function* chunked(content: string | Uint8Array, size = 7): AsyncGenerator<Uint8Array> {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
  for (let start = 0; start < bytes.length; start += size) yield bytes.subarray(start, start + size);
}

export function gzipped(content: string): Uint8Array {
  return gzipSync(Buffer.from(content, 'utf8'));
}

export async function collectRows(rows: AsyncIterable<SourceRow>): Promise<SourceRow[]> {
  const all: SourceRow[] = [];
  for await (const row of rows) all.push(row);
  return all;
}

/** The Telco sample, if the shared data folder is present next to the repository. */
export const TELCO_CSV = new URL('../../../../shared/data/telco-customer-churn.csv', import.meta.url);
