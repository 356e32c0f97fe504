import type { Command } from 'commander';
import { startLocalPlatform } from '../../platform.js';
import { runSmokeChecks, type SmokeCheck } from '../../smoke/smoke.js';

interface StartOptions {
  dataDir?: string;
}

function table(checks: readonly SmokeCheck[]): string {
  const rows = checks.map((check) => [
    check.ok ? 'ok' : 'FAILED',
    check.service,
    check.check,
    `${check.ms.toFixed(0)} ms`,
    check.detail,
  ]);
  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  return rows
    .map((row) =>
      row.map((cell, column) => (column < 4 ? cell.padEnd(widths[column] ?? 0) : cell)).join('  '),
    )
    .join('\n');
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the whole pipeline on a fresh embedded local cloud and print a summary (npm start)')
    .option('--data-dir <dir>', 'keep the local cloud state here instead of in memory')
    .action(async (options: StartOptions) => {
      const started = performance.now();
      const log = (line: string) => process.stderr.write(`  ${line}\n`);
      process.stderr.write('churn-radar: starting the embedded local cloud (no AWS account, no network)\n');
      const platform = await startLocalPlatform({
        dataDir: options.dataDir,
        log,
        // Request lines would bury the summary; errors still show.
        apiLogger: {
          info: () => undefined,
          error: (message, details) => log(`api: ${message} ${JSON.stringify(details)}`),
        },
      });
      let checks: SmokeCheck[];
      try {
        checks = await runSmokeChecks(platform, log);
      } finally {
        await platform.stop();
      }
      const failed = checks.filter((check) => !check.ok);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      process.stdout.write(`\nLocal cloud round trips\n\n${table(checks)}\n\n`);
      process.stdout.write(
        failed.length === 0
          ? `All ${checks.length} services answered as AWS would, in ${seconds} s.\n`
          : `${failed.length} of ${checks.length} checks failed (see above), in ${seconds} s.\n`,
      );
      if (failed.length > 0) process.exitCode = 1;
    });
}
