import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../functions/shared/clients.js';
import { S3Lakehouse } from '../../functions/shared/lakehouse.js';
import { type LocalCloud, startLocalCloud } from '../../local/cloud/local-cloud.js';
import { listTaskStates, loadDefinition, validateDefinition } from '../../local/cloud/step-functions.js';
import {
  localTrainingMachine,
  type PutEventEntry,
  TRAIN_STATE_MACHINE,
} from '../../local/wiring/training.js';
import { modelFromFiles } from '../../ml/models/hybrid/index.js';
import { type Event, parseEvent, parseProfileCsvRow } from '../../ml/schema/index.js';
import { profilesCsv } from '../../ml/simulate/output.js';
import { INITIAL_HAZARD_SCALE, runSimulationSync } from '../../ml/simulate/simulation.js';

const START = '2025-01-01';
const DAYS = 130;
const NOW = new Date('2025-12-01T08:00:00Z');
/** Low floors: the service is small, the gate's logic is what is under test. */
const REQUEST = {
  trigger: 'test',
  trainSnapshots: 2,
  params: { folds: 2, seed: 3 },
  gate: { minRocAuc: 0.62, minPrecision: 0.05, minRecall: 0.05, maxAucDropVsChampion: 0.02 },
};

/** Later runs test the gate and the failure paths: the boosting part alone keeps them quick. */
const QUICK = { ...REQUEST, params: { ...REQUEST.params, components: ['gbdt'] } };

/** A named error, as a Lambda function throws it. */
function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

describe('training state machine on the local cloud', () => {
  let cloud: LocalCloud;
  const events: PutEventEntry[] = [];
  let machine: ReturnType<typeof localTrainingMachine>;
  let firstChampion: string;

  beforeAll(async () => {
    cloud = await startLocalCloud();
    const simulated: Event[] = [];
    const result = runSimulationSync(
      { customers: 800, days: DAYS, seed: 41, start: START },
      {
        onDay: (day) => {
          for (const line of day.jsonl.toString('latin1').split('\n')) {
            if (line === '') continue;
            const parsed = parseEvent(JSON.parse(line));
            if (!parsed.ok) throw new Error(parsed.reason);
            simulated.push(parsed.event);
          }
        },
      },
      { hazardScale: INITIAL_HAZARD_SCALE },
    );
    const lakehouse = new S3Lakehouse(cloud.clients.s3, cloud.names.buckets.LakehouseBucket ?? '');
    await lakehouse.writeEvents(simulated, { fileName: 'simulated', source: 'import' });
    const profiles = (parse(profilesCsv(result), { columns: true }) as Record<string, string>[]).map(
      (row) => {
        const parsed = parseProfileCsvRow(row);
        if (!parsed.ok) throw new Error(parsed.reason);
        return { ...parsed.profile, attributes: {} };
      },
    );
    await lakehouse.writeProfiles('sim', profiles, 'profiles');
    machine = localTrainingMachine(cloud, { now: () => NOW, onEvent: (entry) => events.push(entry) });
  }, 240_000);

  afterAll(async () => {
    await cloud?.stop();
  });

  it('is a valid definition whose every Task has a local handler', () => {
    const definition = loadDefinition(TRAIN_STATE_MACHINE, machine.substitutions);
    expect(validateDefinition(definition)).toEqual([]);
    expect(listTaskStates(definition).length).toBeGreaterThan(10);
  });

  it('snapshots, trains three components, stacks, gates and promotes the first champion', async () => {
    const execution = await machine.run(
      { ...REQUEST, profilesDataset: 'sim' },
      { executionName: 'first-run' },
    );
    expect(execution.error, execution.cause).toBeUndefined();
    expect(execution.status).toBe('SUCCEEDED');
    const aliases = await machine.registry.aliases();
    expect(aliases.champion).toMatch(/^m-20251201-080000-test-firstrun$/);
    firstChampion = aliases.champion as string;
    // The champion loads and scores; its artifact carries every part and the report.
    const files = await machine.registry.readFiles(firstChampion);
    expect([...files.keys()]).toEqual(
      expect.arrayContaining(['report.html', 'metrics.json', 'sequence.weights.bin', 'graph.weights.bin']),
    );
    const model = await modelFromFiles(files);
    expect(model.components).toEqual(['gbdt', 'sequence', 'graph']);
    model.dispose();
    const promoted = events.filter((event) => event.DetailType === 'ModelPromoted');
    expect(promoted).toHaveLength(1);
    expect(machine.records.at(-1)).toMatchObject({ outcome: 'promoted', version: firstChampion });
    // Every state ran; the three components in parallel branches.
    expect(Object.keys(execution.stateDurations)).toEqual(
      expect.arrayContaining([
        'BuildSnapshots',
        'TrainGbdt',
        'TrainSequence',
        'TrainGraph',
        'StackAndEvaluate',
        'Gate',
        'Register',
        'PromoteChampion',
      ]),
    );
  }, 600_000);

  it('rejects a challenger trained on shuffled labels, says why, and keeps the champion', async () => {
    const execution = await machine.run(
      { ...QUICK, profilesDataset: 'sim', params: { ...QUICK.params, shuffleLabels: true } },
      { executionName: 'shuffled' },
    );
    expect(execution.status).toBe('SUCCEEDED');
    const aliases = await machine.registry.aliases();
    expect(aliases.champion).toBe(firstChampion);
    expect(aliases.challenger).toMatch(/shuffled$/);
    const record = machine.records.at(-1);
    expect(record?.outcome).toBe('rejected');
    expect(record?.reasons.join(' ')).toMatch(/ROC-AUC 0\.\d+ (is below the floor|trails champion)/);
    expect(events.at(-1)?.DetailType).toBe('ChallengerRejected');
    // The rejected model is registered (inspectable) but not served.
    expect(await machine.registry.get(aliases.challenger as string)).toBeDefined();
  }, 600_000);

  it('retries a transient failure of a step and still finishes', async () => {
    let calls = 0;
    const flaky = localTrainingMachine(cloud, {
      now: () => NOW,
      onEvent: (entry) => events.push(entry),
      overrides: {
        'train-gate': async (event: never) => {
          calls += 1;
          if (calls === 1) throw namedError('TransientError', 'the gate lost its connection');
          return machine.functions['train-gate'](event, {} as never);
        },
      },
    });
    const execution = await flaky.run({ ...QUICK, profilesDataset: 'sim' }, { executionName: 'flaky' });
    expect(execution.status).toBe('SUCCEEDED');
    expect(calls).toBe(2);
    expect(
      execution.events.some((event) => event.type === 'StateRetried' && event.stateName === 'Gate'),
    ).toBe(true);
  }, 600_000);

  it('records a permanent failure, announces it, and leaves the champion untouched', async () => {
    const before = await machine.registry.aliases();
    const broken = localTrainingMachine(cloud, {
      now: () => NOW,
      onEvent: (entry) => events.push(entry),
      overrides: {
        'train-register': async () => {
          throw namedError('RegistryWriteError', 'the model bucket refused the write');
        },
      },
    });
    const execution = await broken.run({ ...QUICK, profilesDataset: 'sim' }, { executionName: 'broken' });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('RegistryWriteError');
    expect(await machine.registry.aliases()).toEqual(before);
    expect(broken.records.at(-1)).toMatchObject({ outcome: 'failed', error: { name: 'RegistryWriteError' } });
    const failed = events.at(-1);
    expect(failed?.DetailType).toBe('TrainingFailed');
    // The record is in the operations table too.
    const documents = createDocumentClient(cloud.clients.dynamodb);
    const stored = await documents.send(
      new QueryCommand({
        TableName: cloud.names.tables.OperationsTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'training#run' },
      }),
    );
    expect(stored.Items?.map((item) => item.outcome)).toEqual(
      expect.arrayContaining(['promoted', 'rejected', 'failed']),
    );
  }, 600_000);
});
