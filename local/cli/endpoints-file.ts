import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { LocalCloud } from '../cloud/local-cloud.js';

/**
 * `<data-dir>/endpoints.json`: where a running `churn local up` listens and what its resources are
 * called, so commands in another terminal (`churn import ...`) reach it without copying variables.
 */
export const ENDPOINTS_FILE_NAME = 'endpoints.json';

const LocalEndpointsSchema = z.object({
  version: z.literal(1),
  /** The process serving the endpoints; a file whose process is gone is stale. */
  pid: z.int().positive(),
  writtenAt: z.string(),
  region: z.string().min(1),
  endpoints: z.object({ kinesis: z.url(), dynamodb: z.url(), s3: z.url() }),
  /** Resource variables to physical names: `EVENT_STREAM`, `LAKEHOUSE_BUCKET`, `FEATURE_TABLE`, ... */
  resources: z.record(z.string(), z.string()),
  apiUrl: z.url().optional(),
});

export type LocalEndpoints = z.infer<typeof LocalEndpointsSchema>;

export function endpointsFilePath(dataDir: string): string {
  return join(dataDir, ENDPOINTS_FILE_NAME);
}

/**
 * Records a running local cloud for other commands. `churn local up` calls it once the cloud is up
 * (and {@link removeLocalEndpoints} when it stops). Written to a temporary file and renamed, so a
 * reader never sees half a file.
 */
export async function writeLocalEndpoints(
  dataDir: string,
  cloud: Pick<LocalCloud, 'endpoints' | 'names'>,
  extra: { readonly apiUrl?: string; readonly pid?: number } = {},
): Promise<string> {
  const contents: LocalEndpoints = {
    version: 1,
    pid: extra.pid ?? process.pid,
    writtenAt: new Date().toISOString(),
    region: cloud.endpoints.region,
    endpoints: {
      kinesis: cloud.endpoints.kinesis,
      dynamodb: cloud.endpoints.dynamodb,
      s3: cloud.endpoints.s3,
    },
    resources: { ...cloud.names.env },
    ...(extra.apiUrl === undefined ? {} : { apiUrl: extra.apiUrl }),
  };
  await mkdir(dataDir, { recursive: true });
  const path = endpointsFilePath(dataDir);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(contents, null, 2)}\n`, 'utf8');
  await rename(temporary, path);
  return path;
}

export async function removeLocalEndpoints(dataDir: string): Promise<void> {
  await rm(endpointsFilePath(dataDir), { force: true });
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
}

export type ReadEndpointsResult =
  | { readonly state: 'absent' }
  | { readonly state: 'stale'; readonly path: string; readonly pid: number }
  | { readonly state: 'running'; readonly path: string; readonly endpoints: LocalEndpoints };

/** The recorded local cloud, if there is one and its process still runs. A malformed file is an error naming it. */
export async function readLocalEndpoints(dataDir: string): Promise<ReadEndpointsResult> {
  const path = endpointsFilePath(dataDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return { state: 'absent' };
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${path}: not valid JSON; delete it and restart \`churn local up\``);
  }
  const parsed = LocalEndpointsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `${path}: ${issue?.path.join('.') || 'file'}: ${issue?.message ?? 'unexpected shape'}; delete it and restart \`churn local up\``,
    );
  }
  if (!isProcessAlive(parsed.data.pid)) return { state: 'stale', path, pid: parsed.data.pid };
  return { state: 'running', path, endpoints: parsed.data };
}
