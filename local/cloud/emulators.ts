import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import kinesalite from 'kinesalite';
import S3rver from 's3rver';
import { applyS3rverFixes } from './s3rver-fixes.js';

/** A running emulator: where it listens and how to stop it. */
export interface RunningEmulator {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

async function listen(server: Server, port: number): Promise<RunningEmulator> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // kinesalite's CLI ignores --host; listening from code keeps it on loopback.
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    endpoint: `http://${HOST}:${address.port}`,
    port: address.port,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Kinesis on LevelDB; in memory unless `path` is given. */
export function startKinesis(options: { port: number; path?: string }): Promise<RunningEmulator> {
  const server = kinesalite({
    path: options.path,
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    shardLimit: 64,
  });
  return listen(server, options.port);
}

/** DynamoDB on LevelDB; in memory unless `path` is given. */
export function startDynamoDb(options: { port: number; path?: string }): Promise<RunningEmulator> {
  const server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  return listen(server, options.port);
}

/** S3 on the file system; s3rver always needs a directory. */
export async function startS3(options: { port: number; directory: string }): Promise<RunningEmulator> {
  applyS3rverFixes();
  const server = new S3rver({
    address: HOST,
    port: options.port,
    directory: options.directory,
    silent: true,
    allowMismatchedSignatures: true,
  });
  const address = await server.run();
  return {
    endpoint: `http://${HOST}:${address.port}`,
    port: address.port,
    stop: () => server.close(),
  };
}
