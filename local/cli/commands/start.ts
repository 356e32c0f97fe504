import type { Command } from 'commander';
import { type IngestSimulationReport, ingestSimulation } from '../../pipeline/ingest-simulation.js';
import {
  formatTrainingReport,
  type LocalTrainingReport,
  trainLocally,
} from '../../pipeline/train-locally.js';
import { startLocalPlatform } from '../../platform.js';
import { runSmokeChecks, type SmokeCheck } from '../../smoke/smoke.js';
import { parseInteger } from '../settings.js';

interface StartOptions {
  dataDir?: string;
  customers: number;
  days: number;
  seed: number;
}

function table(rows: readonly (readonly string[])[]): string {
  const columns = Math.max(...rows.map((row) => row.length));
  const widths = Array.from({ length: columns - 1 }, (_, column) =>
    Math.max(...rows.map((row) => row[column]?.length ?? 0)),
  );
  return rows
    .map((row) =>
      row.map((cell, column) => (column < columns - 1 ? cell.padEnd(widths[column] ?? 0) : cell)).join('  '),
    )
    .join('\n');
}

const count = (value: number) => value.toLocaleString('en-US');

function ingestionTable(report: IngestSimulationReport): string {
  return table([
    [
      'simulated',
      `${count(report.customers)} customers x ${report.days} days from ${report.start}`,
      `${report.simulateSeconds.toFixed(1)} s`,
    ],
    [
      'events',
      `${count(report.eventsSimulated)} simulated, ${count(report.eventsPublished)} put on the Kinesis stream`,
      '',
    ],
    [
      'feature processor',
      `${count(report.processorBatches)} Lambda batches`,
      `${report.ingestSeconds.toFixed(1)} s to drain`,
    ],
    [
      'lakehouse',
      `${count(report.eventsInLakehouse)} events in raw/ (Parquet), ${count(report.quarantined)} quarantined`,
      '',
    ],
    ['feature store', `${count(report.profilesStored)} profiles, daily activity items per customer`, ''],
    ['churn', `${(report.monthlyChurn * 100).toFixed(1)}% of subscribers per 30 days (simulated truth)`, ''],
  ]);
}

const EXAMPLE_FEATURES = [
  'activity_segment',
  'sessions_7d',
  'sessions_30d',
  'trend_sessions_14d',
  'days_since_last_session',
  'failed_payments_30d',
  'cancel_page_views_30d',
  'tenure_days',
  'rfm_segment',
] as const;

export function registerStart(program: Command): void {
  program
    .command('start')
    .description(
      'run the pipeline on a fresh embedded local cloud: simulate a service, stream its events through ' +
        'the feature processor into the lakehouse and the feature store, check every service, print a summary (npm start)',
    )
    .option(
      '--customers <n>',
      'customers of the simulated service',
      parseInteger('--customers', 10, 200_000),
      800,
    )
    .option(
      '--days <n>',
      'days of history to simulate (training needs about 100)',
      parseInteger('--days', 7, 720),
      100,
    )
    .option('--seed <n>', 'simulation seed', parseInteger('--seed', 0, 2 ** 32 - 1), 42)
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
        mappingLogger: (level, message) => {
          if (level === 'error') log(`event-source mapping: ${message}`);
        },
      });
      let report: IngestSimulationReport;
      let checks: SmokeCheck[];
      let training: LocalTrainingReport;
      try {
        report = await ingestSimulation(platform, {
          customers: options.customers,
          days: options.days,
          seed: options.seed,
          log,
        });
        log(
          'training: running statemachines/train.asl.json (snapshots -> 3 components -> stack -> gate -> register -> promote)',
        );
        training = await trainLocally(
          platform.cloud,
          {
            trigger: 'start',
            profilesDataset: 'simulated',
            // The simulator's outcomes, imported like a billing export, are final: no grace days needed.
            labelsDataset: 'simulated',
            graceDays: 0,
            trainSnapshots: 2,
            params: { folds: 2 },
            // A small service gives a noisy holdout: demo floors, not production ones (cdk.json).
            gate: { minRocAuc: 0.6, minPrecision: 0.05, minRecall: 0.05 },
          },
          { outDirectory: options.dataDir === undefined ? 'out/models' : `${options.dataDir}/models`, log },
        );
        checks = await runSmokeChecks(platform, log);
      } finally {
        await platform.stop();
      }
      const trainingOk = training.execution.status === 'SUCCEEDED';
      const failed = checks.filter((check) => !check.ok);
      const lost = report.eventsSimulated - report.eventsInLakehouse - report.quarantined;
      const out = (text: string) => process.stdout.write(text);
      out(`\nIngestion\n\n${ingestionTable(report)}\n`);
      if (report.example) {
        const features = report.example.features;
        out(`\nOnline features of customer ${report.example.userId}, as of today\n\n`);
        const shown = (value: number | string | undefined) =>
          typeof value === 'number' && !Number.isInteger(value) ? value.toFixed(2) : String(value ?? '');
        out(`${table(EXAMPLE_FEATURES.map((name) => [`  ${name}`, shown(features[name])]))}\n`);
      }
      out(
        `\nTraining (state machine ${training.execution.status.toLowerCase()})\n\n${formatTrainingReport(training)}\n`,
      );
      out(
        `\nOther services\n\n${table(
          checks.map((check) => [
            check.ok ? 'ok' : 'FAILED',
            check.service,
            check.check,
            `${check.ms.toFixed(0)} ms`,
            check.detail,
          ]),
        )}\n\n`,
      );
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      if (failed.length === 0 && lost === 0 && trainingOk) {
        out(
          `Done in ${seconds} s: every event is in the lakehouse or quarantine, and every service answered.\n`,
        );
        out(
          'Next: `npx churn local up` keeps the local cloud running; `npx churn --help` lists the commands.\n',
        );
      } else {
        out(
          `${failed.length} checks failed, ${lost} events are unaccounted for${trainingOk ? '' : ', training failed'} (see above), in ${seconds} s.\n`,
        );
        process.exitCode = 1;
      }
    });
}
