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
    if (override !== undefined) merged[key] = coerce(override);
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
