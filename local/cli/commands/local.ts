import type { Command } from 'commander';
import { startLocalPlatform } from '../../platform.js';
import { removeLocalEndpoints, writeLocalEndpoints } from '../endpoints-file.js';
import { DEFAULT_PORT_BASE, defaultDataDir, localPorts, parseInteger } from '../settings.js';

interface LocalUpOptions {
  dataDir: string;
  memory?: boolean;
  portBase: number;
  shards?: number;
}

export function registerLocalCommands(program: Command): void {
  const local = program.command('local').description('the embedded local cloud');
  local
    .command('up')
    .description('start the local cloud in the foreground and print its endpoints; Ctrl-C stops it')
    .option(
      '--data-dir <dir>',
      'keep streams, tables, buckets and keys here across restarts',
      defaultDataDir(),
    )
    .option('--memory', 'keep nothing: in-memory emulators and a temporary bucket folder')
    .option(
      '--port-base <port>',
      'API on this port, then Kinesis, DynamoDB and S3 on the next three',
      parseInteger('--port-base', 1024, 65_000),
      DEFAULT_PORT_BASE,
    )
    .option(
      '--shards <n>',
      'shards of the event stream when it is first created',
      parseInteger('--shards', 1, 64),
    )
    .action(async (options: LocalUpOptions) => {
      const ports = localPorts(options.portBase);
      const platform = await startLocalPlatform({
        dataDir: options.memory ? undefined : options.dataDir,
        ports,
        apiPort: ports.api,
        shardCount: options.shards,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      const { cloud, api } = platform;
      // Other terminals (`churn import`, `churn snapshot`) find this cloud through this file.
      await writeLocalEndpoints(options.dataDir, cloud, { apiUrl: api.url });
      const lines = [
        '',
        'churn-radar local cloud is up',
        '',
        `  API (Cognito-verified)  ${api.url}`,
        `  Kinesis                 ${cloud.endpoints.kinesis}`,
        `  DynamoDB                ${cloud.endpoints.dynamodb}`,
        `  S3                      ${cloud.endpoints.s3}`,
        `  data                    ${cloud.persistent ? cloud.dataDir : 'in memory (lost on stop)'}`,
        '',
        '  resources',
        ...Object.entries(cloud.names.env).map(([variable, name]) => `    ${variable.padEnd(20)} ${name}`),
        '',
        '  routes',
        ...platform.routes.map((route) => `    ${route.method.padEnd(6)} ${route.path}`),
        '',
        '  to point a shell (or the AWS CLI) at it:',
        ...Object.entries(cloud.env).map(([variable, value]) => `    export ${variable}=${value}`),
        '    export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER',
        '',
        '  try:',
        `    curl -H "Authorization: Bearer $(npx churn token --role analyst)" ${api.url}/local/whoami`,
        '',
        'Ctrl-C stops it.',
        '',
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      process.stderr.write('stopping the local cloud...\n');
      await removeLocalEndpoints(options.dataDir);
      await platform.stop();
      process.stderr.write(cloud.persistent ? `stopped; data kept in ${cloud.dataDir}\n` : 'stopped\n');
    });
}
