import { z } from 'zod';

/**
 * Deployment configuration, read from `cdk.json` context (`churn-radar` object) and
 * overridable per key on the command line (`-c stage=prod`, `-c streamShardCount=4`).
 * Validated once; a bad value fails synth with a message naming the key.
 */
const scheduleExpression = z
  .string()
  .regex(/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/, {
    message: 'expected an EventBridge schedule such as "rate(7 days)" or "cron(0 3 ? * MON *)"',
  });

/** A fraction between 0 and 1; `what` names it in the message. */
const share = (what: string) =>
  z
    .number({ message: `expected ${what} between 0 and 1` })
    .min(0, { message: `expected ${what} between 0 and 1` })
    .max(1, { message: `expected ${what} between 0 and 1` });

export const ChurnRadarConfigSchema = z
  .object({
    /** Deployment stage; names resources and decides retention. */
    stage: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,19}$/, {
        message: 'expected lower-case letters, digits and dashes, at most 20',
      })
      .default('dev'),
    /** Stateful resources are retained and termination-protected in these stages. */
    protectedStages: z.array(z.string()).default(['prod']),
    /** Shards of the event stream (1 MB/s or 1,000 records/s in each). */
    streamShardCount: z.number().int().min(1).max(500).default(2),
    /** How long Kinesis keeps records, in hours. */
    streamRetentionHours: z.number().int().min(24).max(8760).default(24),
    /** Days CloudWatch keeps function logs. */
    logRetentionDays: z
      .union([
        z.literal(1),
        z.literal(3),
        z.literal(5),
        z.literal(7),
        z.literal(14),
        z.literal(30),
        z.literal(60),
        z.literal(90),
        z.literal(180),
        z.literal(365),
      ])
      .default(30),
    /** Days after which raw lakehouse objects move to infrequent access, and when they expire. */
    lakehouse: z
      .object({
        infrequentAccessAfterDays: z.number().int().min(30).default(90),
        expireRawAfterDays: z.number().int().min(1).default(730),
        expireQuarantineAfterDays: z.number().int().min(1).default(90),
      })
      .prefault({}),
    /** Days a daily activity item stays in the online store. */
    dailyItemTtlDays: z.number().int().min(7).max(400).default(120),
    /**
     * Events that arrive up to this many hours after they happened are folded into their day in
     * the online store; later ones reach the lakehouse (and so training) only.
     */
    allowedLatenessHours: z
      .number()
      .int()
      .min(0)
      .max(24 * 400)
      .default(24 * 90),
    /** When the pipelines run. */
    schedules: z
      .object({
        retrain: scheduleExpression.default('rate(7 days)'),
        scoreAll: scheduleExpression.default('cron(0 2 * * ? *)'),
        segmentExport: scheduleExpression.default('cron(0 5 * * ? *)'),
        driftCheck: scheduleExpression.default('cron(0 6 * * ? *)'),
      })
      .prefault({}),
    /** Where inference and training run. */
    inference: z.enum(['lambda', 'sagemaker']).default('lambda'),
    training: z.enum(['lambda', 'sagemaker']).default('lambda'),
    /** The training pipeline: the promotion gate and the SageMaker instance (`training: "sagemaker"`). */
    trainingPipeline: z
      .object({
        /** Floors a challenger must clear, and how much worse than the champion it may be (functions/train GatePolicy). */
        gate: z
          .object({
            minRocAuc: share('a ROC-AUC').default(0.7),
            minPrecision: share('a precision').default(0.2),
            minRecall: share('a recall').default(0.2),
            maxAucDropVsChampion: share('a ROC-AUC difference').default(0.005),
          })
          .strict()
          .prefault({}),
        /** Instance of each component's training job in SageMaker mode. */
        sagemakerInstanceType: z
          .string()
          .regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, {
            message: 'expected a SageMaker training instance type such as "ml.m5.2xlarge"',
          })
          .default('ml.m5.2xlarge'),
      })
      .strict()
      .prefault({}),
    /**
     * What the training runs record as the code that trained a model (`lineage.codeVersion`), e.g.
     * `-c codeVersion=$(git rev-parse --short HEAD)`. Default: `churn-radar@<package.json version>`.
     */
    codeVersion: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._@+/-]{0,99}$/, {
        message: 'expected 1-100 letters, digits and . _ @ + / -, such as a git commit',
      })
      .optional(),
    /** Alarm thresholds. */
    alarms: z
      .object({
        iteratorAgeSeconds: z.number().positive().default(300),
        quarantinedRecordsPerHour: z.number().int().min(0).default(100),
      })
      .prefault({}),
  })
  .strict();

export type ChurnRadarConfig = z.infer<typeof ChurnRadarConfigSchema>;

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/** Keys that are always text: a commit such as `0123456` must not become the number 123456. */
const TEXT_KEYS: ReadonlySet<string> = new Set(['codeVersion']);

/** Reads one context value; command-line strings are coerced to the type the cdk.json form has. */
function coerce(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (value === 'true' || value === 'false') return value === 'true';
  if (value.startsWith('{') || value.startsWith('[')) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

/**
 * @param readContext reads a context key (`app.node.tryGetContext`).
 */
export function loadConfig(readContext: (key: string) => unknown): ChurnRadarConfig {
  const base = readContext('churn-radar') ?? {};
  if (typeof base !== 'object' || Array.isArray(base)) {
    throw new ConfigurationError('cdk.json context "churn-radar" must be an object');
  }
  const merged: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const key of Object.keys(ChurnRadarConfigSchema.shape)) {
    const override = readContext(key);
    if (override !== undefined) merged[key] = TEXT_KEYS.has(key) ? override : coerce(override);
  }
  const parsed = ChurnRadarConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = ['churn-radar', ...issue.path.map(String)].join('.');
      return `  ${key}: ${issue.message}`;
    });
    throw new ConfigurationError(`invalid configuration in cdk.json context:\n${problems.join('\n')}`);
  }
  return parsed.data;
}

export function isProtectedStage(config: ChurnRadarConfig): boolean {
  return config.protectedStages.includes(config.stage);
}
