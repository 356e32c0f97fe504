import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import {
  DEFAULT_MONTHLY_CHURN,
  DEFAULT_START,
  type DriftScenario,
  formatRows,
  parseDriftScenario,
  SIMULATION_FILES,
  type SimulationProgress,
  summaryRows,
  writeSimulation,
} from '../../../ml/simulate/index.js';

function positiveInteger(name: string, max: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new InvalidArgumentError(
        `${name} must be a whole number from 1 to ${max.toLocaleString('en-US')}.`,
      );
    }
    return value;
  };
}

function seedOf(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new InvalidArgumentError('seed must be a whole number from 0 to 4294967295.');
  }
  return value;
}

function rateOf(text: string): number {
  const value = Number(text);
  if (!(value > 0 && value < 0.5)) {
    throw new InvalidArgumentError(
      'monthly churn is a share per 30 days, e.g. 0.065 for 6.5%, and must be below 0.5.',
    );
  }
  return value;
}

function dateOf(text: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match === null || new Date(`${text}T00:00:00Z`).toISOString().slice(0, 10) !== text) {
    throw new InvalidArgumentError('start must be a calendar date YYYY-MM-DD (UTC).');
  }
  return text;
}

/** The first day of a period of `days` days that ends yesterday (UTC). */
function periodEndingYesterday(days: number): string {
  return new Date(Date.now() - (days + 1) * 86_400_000).toISOString().slice(0, 10);
}

function collectDrift(text: string, previous: DriftScenario[]): DriftScenario[] {
  try {
    return [...previous, parseDriftScenario(text)];
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}

const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

/** One status line, rewritten in place on a terminal and printed every 30 days otherwise. */
function progressReporter(stream: NodeJS.WriteStream): (progress: SimulationProgress) => void {
  let lastWrite = 0;
  return (progress) => {
    const now = performance.now();
    const done = progress.day === progress.days;
    const line =
      `day ${progress.day}/${progress.days}  ${progress.events.toLocaleString('en-US')} events  ` +
      `${progress.subscribers.toLocaleString('en-US')} subscribers  ${progress.elapsedSeconds.toFixed(1)} s`;
    if (stream.isTTY) {
      if (!done && now - lastWrite < 200) return;
      lastWrite = now;
      stream.write(`\r\x1b[2K${line}${done ? '\n' : ''}`);
    } else if (done || progress.day % 30 === 0) {
      stream.write(`${line}\n`);
    }
  };
}

interface SimulateFlags {
  readonly customers: number;
  readonly days: number;
  readonly seed: number;
  readonly out: string;
  readonly start?: string;
  readonly monthlyChurn: number;
  readonly drift: DriftScenario[];
  readonly progress: boolean;
}

/** `churn simulate`: writes a simulated streaming service's data for local runs, tests and benchmarks. */
export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .summary('simulate a video streaming service: events, profiles, churn labels, oracle')
    .description(
      [
        'Simulates a video streaming service as a generative model of behaviour:',
        'segments, sessions and plays, searches, notifications, buffering and',
        'crashes, support tickets, reviews, monthly billing with failed payments',
        'and retries, referrals and friends, and churn from a hidden hazard.',
        'The same seed and options give the same events, profiles and labels.',
        '',
        'Files written into --out:',
        `  ${SIMULATION_FILES.events.padEnd(16)} events, gzipped JSON lines in time order`,
        `  ${SIMULATION_FILES.profiles.padEnd(16)} one profile per customer`,
        `  ${SIMULATION_FILES.labels.padEnd(16)} churned, churn_date, paid_until, status`,
        `  ${SIMULATION_FILES.oracle.padEnd(16)} true 30-day churn probability per cut-off`,
        `  ${SIMULATION_FILES.segments.padEnd(16)} hidden segments (analysis only)`,
        `  ${SIMULATION_FILES.summary.padEnd(16)} churn by segment and month, effects, AUC`,
      ].join('\n'),
    )
    .option(
      '-c, --customers <n>',
      'customers over the period (existing ones and new arrivals)',
      positiveInteger('customers', 10_000_000),
      10_000,
    )
    .option('-d, --days <n>', 'length of the simulated period in days', positiveInteger('days', 3650), 180)
    .option('-s, --seed <n>', 'random seed: the same seed gives the same data', seedOf, 1)
    .option('-o, --out <dir>', 'output directory (created if missing)', '.churn/simulation')
    .option(
      '--start <date>',
      'first simulated day, YYYY-MM-DD (UTC); by default the period ends yesterday, so the events are fresh enough ' +
        `for the online feature store (the library's fixed default is ${DEFAULT_START})`,
      dateOf,
    )
    .option(
      '--monthly-churn <rate>',
      'target share of subscribers churning per 30 days',
      rateOf,
      DEFAULT_MONTHLY_CHURN,
    )
    .option(
      '--drift <scenario@day>',
      'change the world from a day on: price-rise@DAY, quality-drop@DAY, promo-wave@DAY (repeatable)',
      collectDrift,
      [],
    )
    .option('--no-progress', 'do not print the progress line on stderr')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  churn simulate --customers 100000 --days 180 --seed 7 --out .churn/sim-100k\n' +
        '  churn simulate -c 20000 --drift price-rise@90 --drift quality-drop@120 --out .churn/drift',
    )
    .action(async (flags: SimulateFlags) => {
      const directory = resolve(flags.out);
      for (const drift of flags.drift) {
        if (drift.day >= flags.days) {
          throw new InvalidArgumentError(
            `drift ${drift.kind}@${drift.day} is after the last day (${flags.days - 1}).`,
          );
        }
      }
      const written = await writeSimulation(
        {
          customers: flags.customers,
          days: flags.days,
          seed: flags.seed,
          start: flags.start ?? periodEndingYesterday(flags.days),
          monthlyChurn: flags.monthlyChurn,
          drifts: flags.drift,
        },
        directory,
        { onProgress: flags.progress ? progressReporter(process.stderr) : undefined },
      );
      const { summary, bytes } = written;
      const total = Object.values(bytes).reduce((sum, size) => sum + size, 0);
      const rows = summaryRows(summary);
      rows.push(
        ['output', `${directory} (${megabytes(total)}; events ${megabytes(bytes.events)})`],
        [
          'time',
          `${summary.seconds.toFixed(1)} s simulating, ${Math.round(summary.events.total / summary.seconds).toLocaleString('en-US')} events/s`,
        ],
      );
      process.stdout.write(`${formatRows(rows)}\n`);
    });
}
