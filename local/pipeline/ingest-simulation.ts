import { Readable } from 'node:stream';
import { createDocumentClient } from '../../functions/shared/clients.js';
import { KinesisEventPublisher } from '../../functions/shared/event-publisher.js';
import { DynamoFeatureStore } from '../../functions/shared/feature-store.js';
import { S3Lakehouse } from '../../functions/shared/lakehouse.js';
import { profileItem, putItems } from '../../functions/shared/profile-store.js';
import { eventStream, featureTable, lakehouseBucket } from '../../infra/resources.js';
import { addDays, computeFeatures, type DayAggregate, reviveDay } from '../../ml/features/index.js';
import { importLabels, importProfiles, readImportRows } from '../../ml/import/index.js';
import { type Event, parseEventJson } from '../../ml/schema/index.js';
import {
  labelsCsv,
  profilesCsv,
  runSimulation,
  type SimulationResult,
  summarizeSimulation,
} from '../../ml/simulate/index.js';
import type { LocalPlatform } from '../platform.js';

export interface IngestSimulationOptions {
  readonly customers: number;
  readonly days: number;
  readonly seed: number;
  readonly log: (line: string) => void;
}

export interface IngestSimulationReport {
  readonly customers: number;
  readonly days: number;
  readonly start: string;
  readonly eventsSimulated: number;
  readonly eventsPublished: number;
  readonly eventsInLakehouse: number;
  readonly quarantined: number;
  readonly profilesStored: number;
  /** Churn outcomes imported as the `simulated` labels dataset. */
  readonly labelsStored: number;
  readonly processorBatches: number;
  readonly simulateSeconds: number;
  readonly ingestSeconds: number;
  readonly monthlyChurn: number;
  /** One customer's online features as of today, read back from the feature store. */
  readonly example?: {
    readonly userId: string;
    readonly features: Readonly<Record<string, number | string>>;
  };
}

function nameOf(names: Readonly<Record<string, string>>, id: string): string {
  const name = names[id];
  if (!name) throw new Error(`the local cloud has no resource ${id}`);
  return name;
}

/**
 * The ingestion half of the local pipeline: a simulated service's events go through the real
 * path (PutRecords -> Kinesis -> event-source mapping -> feature processor -> lakehouse and
 * online store) and its profiles through the profile importer; then the results are counted back.
 */
export async function ingestSimulation(
  platform: LocalPlatform,
  options: IngestSimulationOptions,
): Promise<IngestSimulationReport> {
  const { cloud } = platform;
  const mapping = platform.featureProcessor;
  if (!mapping) throw new Error('the local platform was started without the feature processor');
  const publisher = new KinesisEventPublisher(
    cloud.clients.kinesis,
    nameOf(cloud.names.streams, eventStream.id),
  );
  // The period ends yesterday, so the events are recent enough to reach the online store.
  const start = addDays(new Date().toISOString().slice(0, 10), -(options.days + 1));

  const simulateStarted = performance.now();
  let simulated = 0;
  let published = 0;
  let publishing = Promise.resolve();
  const failures: string[] = [];
  const result: SimulationResult = await runSimulation(
    { customers: options.customers, days: options.days, seed: options.seed, start },
    {
      onDay: async (day) => {
        const events: Event[] = [];
        for (const line of day.jsonl.toString('utf8').split('\n')) {
          if (line === '') continue;
          const parsed = parseEventJson(line);
          if (parsed.ok) events.push(parsed.event);
          else failures.push(parsed.reason);
        }
        simulated += events.length;
        // Publishing one day overlaps with simulating the next; awaiting the previous keeps order per customer.
        await publishing;
        publishing = publisher.publish(events).then((sent) => {
          published += sent.sent;
          for (const failure of sent.failed) failures.push(failure.error);
        });
        if (day.day % 10 === 9)
          options.log(
            `simulated and sent ${day.day + 1}/${options.days} days (${simulated.toLocaleString('en-US')} events)`,
          );
      },
    },
  );
  await publishing;
  if (failures.length > 0)
    throw new Error(`${failures.length} events could not be sent; first: ${failures[0]}`);
  const simulateSeconds = (performance.now() - simulateStarted) / 1000;

  const ingestStarted = performance.now();
  options.log('waiting for the feature processor to drain the stream');
  await mapping.drain({ timeoutMs: 15 * 60_000 });
  const ingestSeconds = (performance.now() - ingestStarted) / 1000;

  const documents = createDocumentClient(cloud.clients.dynamodb);
  const tableName = nameOf(cloud.names.tables, featureTable.id);
  const lakehouse = new S3Lakehouse(cloud.clients.s3, nameOf(cloud.names.buckets, lakehouseBucket.id));
  const imported = await importProfiles(
    readImportRows(Readable.from([Buffer.from(profilesCsv(result))]), { name: 'profiles.csv' }),
  );
  const updatedAt = new Date().toISOString();
  const stored = await putItems(
    documents,
    tableName,
    imported.accepted.map((profile) => profileItem(profile, updatedAt)),
  );
  await lakehouse.writeProfiles('simulated', imported.accepted, 'profiles');
  // The simulator's churn outcomes, as a billing system would export them: labels for training.
  const labels = await importLabels(
    readImportRows(Readable.from([Buffer.from(labelsCsv(result))]), { name: 'labels.csv' }),
    { asOf: `${addDays(start, options.days)}T00:00:00Z` },
  );
  await lakehouse.writeLabels('simulated', labels.accepted, 'labels');

  let eventsInLakehouse = 0;
  for await (const _row of lakehouse.readEvents()) eventsInLakehouse++;
  let quarantined = 0;
  for await (const _record of lakehouse.readQuarantine()) quarantined++;

  const today = new Date().toISOString().slice(0, 10);
  const featureStore = new DynamoFeatureStore<DayAggregate>(documents, tableName, {
    dailyItemTtlDays: 120,
    revive: reviveDay,
  });
  // The most active of a few customers still subscribed at the end, so the example shows live features.
  let example: IngestSimulationReport['example'];
  for (const customer of result.customers.filter((candidate) => candidate.churnDay < 0).slice(0, 40)) {
    const days = await featureStore.queryDays(customer.userId, addDays(today, -90), today);
    const profile = await featureStore.getProfile(customer.userId);
    const features = computeFeatures(
      {
        userId: customer.userId,
        profile: profile as Parameters<typeof computeFeatures>[0]['profile'],
        days: new Map(days.map((day) => [day.day, day.aggregate])),
      },
      today,
    );
    if (!example || features.sessions_30d > Number(example.features.sessions_30d)) {
      example = { userId: customer.userId, features };
    }
  }

  return {
    customers: options.customers,
    days: options.days,
    start,
    eventsSimulated: simulated,
    eventsPublished: published,
    eventsInLakehouse,
    quarantined,
    profilesStored: stored.written,
    labelsStored: labels.accepted.length,
    processorBatches: mapping.stats.invocations,
    simulateSeconds,
    ingestSeconds,
    monthlyChurn: summarizeSimulation(result).churn.monthly_rate,
    example,
  };
}
