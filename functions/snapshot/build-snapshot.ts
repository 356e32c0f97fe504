import { z } from 'zod';
import { addDays, addEvent, type DayAggregate, dayOf, emptyDay } from '../../ml/features/day-aggregate.js';
import { graphNeighbours } from '../../ml/features/graph.js';
import type { CustomerHistory, ProfileLike } from '../../ml/features/history.js';
import { LOOKBACK_DAYS } from '../../ml/features/history.js';
import { activitySequence } from '../../ml/features/sequence.js';
import { buildSnapshotRows, type LabelLike } from '../../ml/features/snapshot.js';
import type { ImportedLabel } from '../../ml/import/labels.js';
import type { ImportedProfile } from '../../ml/import/profiles.js';
import { ChurnOutcomeBuilder, DEFAULT_GRACE_DAYS } from '../../ml/labels/churn-outcomes.js';
import { mergeLabels } from '../../ml/labels/merge-labels.js';
import { windowLabel } from '../../ml/labels/window-label.js';
import { formatIssues } from '../../ml/schema/format-issues.js';
import { describeValue } from '../../ml/schema/timestamp.js';
import { ChurnRadarError } from '../shared/errors.js';
import {
  customerBucket,
  type EventQuery,
  eventFromRow,
  LAKEHOUSE_BUCKETS,
  type LakehouseEventRow,
} from '../shared/lakehouse.js';
import {
  type SnapshotManifest,
  type SnapshotRecord,
  snapshotBucketKey,
  snapshotLayout,
} from '../shared/snapshot-store.js';

/** The request names a field that breaks a rule; Step Functions matches it by name and does not retry. */
export class SnapshotInputError extends ChurnRadarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'SnapshotInputError', 400, options);
  }
}

const calendarDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, {
    error: (issue) => `expected a calendar day YYYY-MM-DD, got ${describeValue(issue.input)}`,
  })
  .refine(
    (day) => {
      const ms = Date.parse(`${day}T00:00:00Z`);
      return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === day;
    },
    { error: (issue) => `not a calendar day, got ${describeValue(issue.input)}` },
  );

const datasetName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, {
  error: "expected 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit",
});

/** One Map iteration: one hash bucket of one snapshot. */
export const SnapshotInput = z
  .object({
    /** The cut-off: features from days before it, labels from the window that starts on it. */
    asOf: calendarDay,
    /** Length of the label window in days. */
    horizonDays: z.int().min(1).max(366),
    bucket: z
      .int()
      .min(0)
      .max(LAKEHOUSE_BUCKETS - 1),
    /** Imported profiles (lakehouse `profiles/dataset=<name>/`) to join. */
    profilesDataset: datasetName.optional(),
    /** Imported labels (lakehouse `labels/dataset=<name>/`); they take precedence over derived ones. */
    labelsDataset: datasetName.optional(),
    /**
     * `YYYY-MM-DD`, exclusive: how far the events go. Defaults to `asOf + horizonDays + graceDays`,
     * and never later than today; pass the same value to every bucket of a snapshot.
     */
    observedUntil: calendarDay.optional(),
    /** @default 30 */
    graceDays: z.int().min(1).max(366).optional(),
  })
  .strict();

export type SnapshotInput = z.infer<typeof SnapshotInput>;

/** The input validated, or a {@link SnapshotInputError} naming each field and the rule it broke. */
export function parseSnapshotInput(input: unknown): SnapshotInput {
  const parsed = SnapshotInput.safeParse(input, { reportInput: true });
  if (!parsed.success) throw new SnapshotInputError(formatIssues(parsed.error, 'input'));
  return parsed.data;
}

/** What one bucket's build did: the Map iteration's output. */
export interface BucketSnapshotSummary {
  readonly bucket: number;
  /** Rows written: customers of the bucket at `asOf`. */
  readonly customers: number;
  readonly positives: number;
  readonly negatives: number;
  readonly unknownLabels: number;
  readonly key: string;
  readonly observedUntil: string;
  readonly eventsRead: number;
  /** Stored rows that no longer pass the event schema, or that sit in another customer's bucket. */
  readonly eventsSkipped: number;
  /** Repeated `event_id`s (the same event stored twice), counted once. */
  readonly duplicatesDropped: number;
  /** Profiles of the bucket joined (with `profilesDataset`). */
  readonly profilesJoined: number;
  /** Profiles of the bucket left out because a field features need (`registered_at`, ...) is missing. */
  readonly profilesIncomplete: number;
  /** Imported labels of the bucket (with `labelsDataset`), which replace derived ones. */
  readonly labelsImported: number;
}

/** The narrow part of the lakehouse a snapshot reads (`S3Lakehouse` has it). */
export interface SnapshotSource {
  readEvents(query: EventQuery): AsyncIterable<LakehouseEventRow>;
  readProfiles(dataset: string): AsyncIterable<ImportedProfile>;
  readLabels(dataset: string): AsyncIterable<ImportedLabel>;
}

/** Where bucket files go (`S3SnapshotStore` has it). */
export interface SnapshotWriter {
  writeBucket(snapshot: {
    readonly asOf: string;
    readonly horizonDays: number;
    readonly bucket: number;
    readonly records: readonly SnapshotRecord[];
  }): Promise<string>;
}

export interface BuildSnapshotDeps {
  readonly lakehouse: SnapshotSource;
  readonly writer: SnapshotWriter;
  /** @default the system clock */
  readonly now?: () => Date;
}

/** Profile fields features read; a profile without them is no `ProfileLike`. */
function profileFromImported(profile: ImportedProfile): ProfileLike | undefined {
  const { registered_at, plan, monthly_price, channel, country, device, manager_id } = profile;
  if (
    registered_at === undefined ||
    plan === undefined ||
    monthly_price === undefined ||
    channel === undefined ||
    country === undefined ||
    device === undefined ||
    manager_id === undefined
  ) {
    return undefined;
  }
  return { ...profile, registered_at, plan, monthly_price, channel, country, device, manager_id };
}

/** The default observation limit: the end of the label window plus the grace days, but no later than today. */
export function defaultObservedUntil(
  input: Pick<SnapshotInput, 'asOf' | 'horizonDays' | 'graceDays'>,
  now: Date,
): string {
  const wanted = addDays(input.asOf, input.horizonDays + (input.graceDays ?? DEFAULT_GRACE_DAYS));
  const today = now.toISOString().slice(0, 10);
  // Day strings compare as days; Math.min would not take them.
  if (today < wanted) return today;
  return wanted;
}

/** The raw events a snapshot reads: the lookback before `asOf`, and on to the observation limit. */
export function snapshotEventRange(asOf: string, observedUntil: string): { fromDay: string; toDay: string } {
  return { fromDay: addDays(asOf, -LOOKBACK_DAYS), toDay: observedUntil };
}

/**
 * Builds the snapshot of ONE customer hash bucket, so the cloud fans out over buckets (a
 * Distributed Map) instead of reading the whole lakehouse in one function.
 *
 * Reads the bucket's raw events of `[asOf - 90 days, observedUntil)`. Features come from the days
 * before `asOf` only (`computeFeatures`, the online store's code), so events on or after `asOf`
 * cannot reach them; labels come from churn outcomes derived from all events read (imported
 * labels win), judged on the window `[asOf, asOf + horizonDays)`. A customer is in the snapshot
 * when they have events before `asOf` inside the lookback, were registered before `asOf` (when
 * a profile says) and had not churned before `asOf`. A profile alone is not enough: the lakehouse
 * keeps the profiles of everyone who ever registered, and a subscriber renews (an event) monthly.
 */
export function makeBuildSnapshot(deps: BuildSnapshotDeps) {
  const now = deps.now ?? (() => new Date());
  return async function buildSnapshot(input: SnapshotInput): Promise<BucketSnapshotSummary> {
    const { asOf, horizonDays, bucket } = input;
    const graceDays = input.graceDays ?? DEFAULT_GRACE_DAYS;
    const today = now().toISOString().slice(0, 10);
    if (asOf > today) {
      throw new SnapshotInputError(`asOf: must not be after today (${today}), got "${asOf}"`);
    }
    const observedUntil = input.observedUntil ?? defaultObservedUntil(input, now());
    if (observedUntil <= asOf) {
      throw new SnapshotInputError(
        `observedUntil: must be after asOf (${asOf}), got "${observedUntil}": no label can be known`,
      );
    }
    const { fromDay } = snapshotEventRange(asOf, observedUntil);

    const days = new Map<string, Map<string, DayAggregate>>();
    const outcomes = new ChurnOutcomeBuilder();
    let eventsRead = 0;
    let eventsSkipped = 0;
    let duplicatesDropped = 0;
    // Duplicates share their timestamp, hence their day; files come in key order, which is day
    // order within one bucket, so remembering one day's ids at a time is enough.
    let seenDay = '';
    let seenIds = new Set<string>();
    for await (const row of deps.lakehouse.readEvents({ fromDay, toDay: observedUntil, buckets: [bucket] })) {
      eventsRead += 1;
      if (row.day !== seenDay) {
        seenDay = row.day;
        seenIds = new Set();
      }
      if (seenIds.has(row.event_id)) {
        duplicatesDropped += 1;
        continue;
      }
      seenIds.add(row.event_id);
      const parsed = eventFromRow(row);
      if (!parsed.ok || customerBucket(row.user_id) !== bucket) {
        eventsSkipped += 1;
        continue;
      }
      const event = parsed.event;
      outcomes.add(event);
      const day = dayOf(event.ts);
      if (day >= asOf) continue;
      let customerDays = days.get(event.user_id);
      if (customerDays === undefined) {
        customerDays = new Map();
        days.set(event.user_id, customerDays);
      }
      let aggregate = customerDays.get(day);
      if (aggregate === undefined) {
        aggregate = emptyDay();
        customerDays.set(day, aggregate);
      }
      addEvent(aggregate, event);
    }

    const profiles = new Map<string, ProfileLike>();
    let profilesIncomplete = 0;
    if (input.profilesDataset !== undefined) {
      for await (const imported of deps.lakehouse.readProfiles(input.profilesDataset)) {
        if (customerBucket(imported.user_id) !== bucket) continue;
        const profile = profileFromImported(imported);
        if (profile === undefined) profilesIncomplete += 1;
        else profiles.set(profile.user_id, profile);
      }
    }
    const importedLabels: ImportedLabel[] = [];
    if (input.labelsDataset !== undefined) {
      for await (const label of deps.lakehouse.readLabels(input.labelsDataset)) {
        if (customerBucket(label.user_id) === bucket) importedLabels.push(label);
      }
    }

    const labels = mergeLabels(outcomes.outcomes({ observedUntil, graceDays, from: asOf }), importedLabels);
    const histories = new Map<string, CustomerHistory>();
    for (const [userId, customerDays] of days) {
      const profile = profiles.get(userId);
      histories.set(
        userId,
        profile === undefined ? { userId, days: customerDays } : { userId, days: customerDays, profile },
      );
    }
    const rows = buildSnapshotRows({
      histories: histories.values(),
      asOf,
      horizonDays,
      // Only the churn date is passed: it leaves out customers who had churned before asOf.
      labels: new Map<string, LabelLike>(
        [...labels].map(([userId, label]) => [userId, { churn_date: label.churn_date }]),
      ),
    });

    let positives = 0;
    let negatives = 0;
    const records: SnapshotRecord[] = rows.map((row) => {
      const history = histories.get(row.user_id) ?? { userId: row.user_id, days: new Map() };
      const outcome = labels.get(row.user_id);
      const label = windowLabel(outcome, { asOf, horizonDays });
      if (label === 1) positives += 1;
      else if (label === 0) negatives += 1;
      return {
        user_id: row.user_id,
        as_of: asOf,
        label,
        churn_date: outcome?.churn_date ?? null,
        features: row.features,
        activity_sequence: activitySequence(history, asOf),
        neighbours: graphNeighbours(history, asOf),
      };
    });
    const key = await deps.writer.writeBucket({ asOf, horizonDays, bucket, records });
    return {
      bucket,
      customers: records.length,
      positives,
      negatives,
      unknownLabels: records.length - positives - negatives,
      key,
      observedUntil,
      eventsRead,
      eventsSkipped,
      duplicatesDropped,
      profilesJoined: profiles.size,
      profilesIncomplete,
      labelsImported: importedLabels.length,
    };
  };
}

export interface ManifestInput {
  readonly asOf: string;
  readonly horizonDays: number;
  readonly graceDays?: number;
  readonly summaries: readonly BucketSnapshotSummary[];
}

/**
 * The manifest of a snapshot from its buckets' summaries, written after all of them: it lists
 * the bucket files with their counts, the feature list and the sequence layout. Buckets must be
 * distinct and agree on `observedUntil` (labels judged on different data do not mix).
 */
export function makeWriteSnapshotManifest(deps: {
  readonly store: { writeManifest(manifest: SnapshotManifest): Promise<string> };
  readonly now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  return async function writeSnapshotManifest(
    input: ManifestInput,
  ): Promise<{ key: string; manifest: SnapshotManifest }> {
    const summaries = [...input.summaries].sort((a, b) => a.bucket - b.bucket);
    if (summaries.length === 0) throw new SnapshotInputError('summaries: expected at least one bucket');
    const observedUntil = summaries[0]?.observedUntil ?? '';
    for (const [index, summary] of summaries.entries()) {
      if (index > 0 && summaries[index - 1]?.bucket === summary.bucket) {
        throw new SnapshotInputError(`summaries: bucket ${summary.bucket} appears twice`);
      }
      if (summary.observedUntil !== observedUntil) {
        throw new SnapshotInputError(
          `summaries: bucket ${summary.bucket} was observed until ${summary.observedUntil}, bucket ${summaries[0]?.bucket} until ${observedUntil}; build every bucket with the same observedUntil`,
        );
      }
      const expectedKey = snapshotBucketKey(input.asOf, input.horizonDays, summary.bucket);
      if (summary.key !== expectedKey) {
        throw new SnapshotInputError(
          `summaries: bucket ${summary.bucket} wrote ${summary.key}, expected ${expectedKey}`,
        );
      }
    }
    const total = (pick: (summary: BucketSnapshotSummary) => number) =>
      summaries.reduce((sum, summary) => sum + pick(summary), 0);
    const manifest: SnapshotManifest = {
      version: 1,
      as_of: input.asOf,
      horizon_days: input.horizonDays,
      grace_days: input.graceDays ?? DEFAULT_GRACE_DAYS,
      observed_until: observedUntil,
      created_at: now().toISOString(),
      complete: summaries.length === LAKEHOUSE_BUCKETS,
      buckets_total: LAKEHOUSE_BUCKETS,
      counts: {
        customers: total((summary) => summary.customers),
        positives: total((summary) => summary.positives),
        negatives: total((summary) => summary.negatives),
        unknown_labels: total((summary) => summary.unknownLabels),
      },
      ...snapshotLayout(),
      buckets: summaries.map((summary) => ({
        bucket: summary.bucket,
        key: summary.key,
        customers: summary.customers,
        positives: summary.positives,
        negatives: summary.negatives,
        unknown_labels: summary.unknownLabels,
      })),
    };
    return { key: await deps.store.writeManifest(manifest), manifest };
  };
}
