import { createHash } from 'node:crypto';
import { mkdir, readdir, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import type { Readable } from 'node:stream';

/**
 * s3rver 3.7.1 lists with a delimiter by walking directories and skipping every directory below
 * a would-be common prefix, so keys nested two levels down (`raw/dt=.../bucket=../file`) yield
 * no common prefixes at all, and a truncated page of prefixes only ends in an InternalError.
 * S3 itself answers both. Its continuation tokens are DES-encrypted, which OpenSSL 3 refuses, so
 * any listing longer than one page fails too. This replaces the store's listing with one that
 * reads the key tree and groups it by delimiter as S3 does.
 *
 * Deviation kept on purpose: every listing is answered in one page (no truncation, no token),
 * which local bucket sizes allow.
 *
 * Two more races make concurrent writers lose objects: `putObject` answers before the file is
 * written, and `deleteObject` removes directories it leaves empty, under a writer that has just
 * created one. Here a PUT answers once its bytes are on disk, and DELETE leaves directories alone.
 */
interface StoredObject {
  readonly key: string;
}
interface ListOptions {
  readonly delimiter?: string;
  readonly prefix?: string;
  readonly startAfter?: string;
}
interface ListResult {
  objects: StoredObject[];
  commonPrefixes: string[];
  isTruncated: boolean;
}
interface PutInput {
  readonly bucket: string;
  readonly key: string;
  readonly content: Buffer | Readable;
  readonly metadata: Record<string, string>;
}
interface FilesystemStorePrototype {
  listObjects(this: FilesystemStoreInstance, bucket: string, options: ListOptions): Promise<ListResult>;
  putObject(this: FilesystemStoreInstance, object: PutInput): Promise<{ size: number; md5: string }>;
  deleteObject(this: FilesystemStoreInstance, bucket: string, key: string): Promise<void>;
}
interface FilesystemStoreInstance {
  getBucketPath(bucket: string): string;
  getResourcePath(bucket: string, key: string, resource: string): string;
  getMetadata(bucket: string, key: string): Promise<Record<string, string>>;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
}

async function bytesOf(content: Buffer | Readable): Promise<Buffer> {
  if (Buffer.isBuffer(content)) return content;
  const chunks: Buffer[] = [];
  for await (const chunk of content) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

const OBJECT_SUFFIX = '._S3rver_object';
let applied = false;

export function applyS3rverFixes(): void {
  if (applied) return;
  applied = true;
  const require = createRequire(import.meta.url);
  const FilesystemStore = require('s3rver/lib/stores/filesystem.js') as {
    prototype: FilesystemStorePrototype;
  };
  const S3Object = require('s3rver/lib/models/object.js') as new (
    bucket: string,
    key: string,
    content: null,
    metadata: Record<string, string>,
  ) => StoredObject;

  FilesystemStore.prototype.listObjects = async function listObjects(bucket, options) {
    const delimiter = options.delimiter ?? '';
    const prefix = options.prefix ?? '';
    const startAfter = options.startAfter ?? '';
    // Only the folder the prefix names can hold matching keys: `raw/dt=2026-01-01/` -> `raw/dt=2026-01-01`.
    const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const root = join(this.getBucketPath(bucket), ...folder.split('/').filter((part) => part !== ''));
    const entries = await readdir(root, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    const keys: string[] = [];
    const commonPrefixes = new Set<string>();
    for (const entry of entries) {
      if (!entry.endsWith(OBJECT_SUFFIX)) continue;
      const key = folder + entry.slice(0, -OBJECT_SUFFIX.length).split(sep).join('/');
      if (!key.startsWith(prefix) || key <= startAfter) continue;
      const index = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      if (index === -1) keys.push(key);
      else commonPrefixes.add(key.slice(0, index + delimiter.length));
    }
    keys.sort();
    const objects = await Promise.all(
      keys.map(async (key) => new S3Object(bucket, key, null, await this.getMetadata(bucket, key))),
    );
    return { objects, commonPrefixes: [...commonPrefixes].sort(), isTruncated: false };
  };

  FilesystemStore.prototype.putObject = async function putObject(object) {
    const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
    const bytes = await bytesOf(object.content);
    const md5 = createHash('md5').update(bytes).digest('hex');
    await mkdir(dirname(objectPath), { recursive: true });
    await writeFile(objectPath, bytes);
    await this.putMetadata(object.bucket, object.key, object.metadata, md5);
    return { size: bytes.length, md5 };
  };

  FilesystemStore.prototype.deleteObject = async function deleteObject(bucket, key) {
    await Promise.all(
      ['object', 'object.md5', 'metadata.json'].map((resource) =>
        unlink(this.getResourcePath(bucket, key, resource)).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        }),
      ),
    );
  };
}
