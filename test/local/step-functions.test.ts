import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import type { LocalHandler } from '../../local/cloud/lambda.js';
import {
  InvalidDefinitionError,
  LocalStateMachineError,
  listTaskStates,
  loadDefinition,
  placeholdersIn,
  runStateMachine,
  UnmappedTaskError,
  UnresolvedPlaceholderError,
  validateDefinition,
} from '../../local/cloud/step-functions.js';

const SMOKE = fileURLToPath(new URL('../fixtures/statemachines/smoke.asl.json', import.meta.url));
const PUT_EVENTS = 'arn:aws:states:::events:putEvents';
const SUBSTITUTIONS = {
  LoadBatchFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:load-batch',
  ScoreFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:score',
  ExportFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:export-segment',
  EventBusName: 'churn-bus',
};
const CUSTOMERS = [
  { id: 'c-1', tenureDays: 400 },
  { id: 'c-2', tenureDays: 20 },
  { id: 'c-3', tenureDays: 90 },
];

class TransientError extends Error {
  override name = 'TransientError';
}
class PermanentError extends Error {
  override name = 'PermanentError';
}

interface ScoreEvent {
  customerId: string;
  tenureDays: number;
  position: number;
  batchId: string;
}

/** Fakes for the smoke state machine's functions and services, recording what they were given. */
function smokeHandlers(options: { loadFailures?: number } = {}) {
  const loadFailures = options.loadFailures ?? 2;
  const seen = {
    loadAttempts: 0,
    scoreEvents: [] as ScoreEvent[],
    scoreFunctionNames: [] as string[],
    putEvents: [] as unknown[],
    inFlight: 0,
    maxInFlight: 0,
  };
  const loadBatch: LocalHandler<{ batchId: string; customers: unknown[] }, { size: number }> = async (
    event,
  ) => {
    seen.loadAttempts += 1;
    if (seen.loadAttempts <= loadFailures) {
      throw new TransientError(`feature store busy (attempt ${seen.loadAttempts})`);
    }
    return { size: event.customers.length };
  };
  const score: LocalHandler<ScoreEvent, unknown> = async (event, context) => {
    seen.scoreEvents.push(event);
    seen.scoreFunctionNames.push(context.functionName);
    seen.inFlight += 1;
    seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
    // The first item is the slowest, so results come back out of order and the Map must reorder them.
    await sleep(event.position === 0 ? 60 : 20);
    seen.inFlight -= 1;
    const probability = Math.round(100 / (1 + event.tenureDays / 30)) / 100;
    const risk = probability >= 0.5 ? 'high' : probability >= 0.2 ? 'medium' : 'low';
    return { customerId: event.customerId, position: event.position, probability, risk };
  };
  const exportSegment: LocalHandler<{ batchId: string; segment: string }, never> = async (event) => {
    throw new PermanentError(`segment ${event.segment} of batch ${event.batchId} has no destination`);
  };
  const putEvents = async (input: unknown) => {
    seen.putEvents.push(input);
    return { FailedEntryCount: 0, Entries: [{ EventId: 'evt-1' }] };
  };
  return {
    seen,
    functions: { 'load-batch': loadBatch, score, 'export-segment': exportSegment },
    services: { [PUT_EVENTS]: putEvents },
  };
}

function enteredStates(events: readonly { type: string; stateName?: string }[]): string[] {
  return events.filter((event) => event.type === 'StateEntered').map((event) => event.stateName ?? '');
}

describe('runStateMachine on the smoke state machine', () => {
  it('runs Task, Choice, Map, Parallel, Retry and Catch to the expected output', async () => {
    const { seen, functions, services } = smokeHandlers();
    const started = Date.now();

    const result = await runStateMachine({
      definitionFile: SMOKE,
      substitutions: SUBSTITUTIONS,
      functions,
      services,
      input: { batchId: 'b-1', customers: CUSTOMERS },
      retryIntervalOverrides: 0,
    });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.error).toBeUndefined();
    expect(result.output).toEqual({
      batchId: 'b-1',
      loaded: 3,
      scores: [
        { customerId: 'c-1', position: 0, probability: 0.07, risk: 'low' },
        { customerId: 'c-2', position: 1, probability: 0.6, risk: 'high' },
        { customerId: 'c-3', position: 2, probability: 0.25, risk: 'medium' },
      ],
      eventsFailed: 0,
      export: {
        status: 'failed',
        error: 'PermanentError',
        message: 'segment high-risk of batch b-1 has no destination',
      },
    });
    // Retry: two TransientErrors, then success; the overrides skip the 2 s + 4 s back-off.
    expect(seen.loadAttempts).toBe(3);
    expect(
      result.events.filter((event) => event.type === 'StateRetried').map((event) => event.attempt),
    ).toEqual([1, 2]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('gives a lambda:invoke function only the Payload, and a service the whole Task input', async () => {
    const { seen, functions, services } = smokeHandlers();

    await runStateMachine({
      definitionFile: SMOKE,
      substitutions: SUBSTITUTIONS,
      functions,
      services,
      input: { batchId: 'b-1', customers: CUSTOMERS },
      retryIntervalOverrides: 0,
    });

    expect([...seen.scoreEvents].sort((a, b) => a.position - b.position)).toEqual([
      { customerId: 'c-1', tenureDays: 400, position: 0, batchId: 'b-1' },
      { customerId: 'c-2', tenureDays: 20, position: 1, batchId: 'b-1' },
      { customerId: 'c-3', tenureDays: 90, position: 2, batchId: 'b-1' },
    ]);
    expect(seen.scoreFunctionNames).toEqual(['score', 'score', 'score']);
    expect(seen.maxInFlight).toBe(2); // MaxConcurrency: 2 with three items
    expect(seen.putEvents).toEqual([
      {
        Entries: [
          {
            EventBusName: 'churn-bus',
            Source: 'churn-radar',
            DetailType: 'ScoresReady',
            Detail: { batchId: 'b-1', count: 3 },
          },
        ],
      },
    ]);
  });

  it('takes the Choice default when there is nothing to score', async () => {
    const { seen, functions, services } = smokeHandlers({ loadFailures: 0 });

    const result = await runStateMachine({
      definitionFile: SMOKE,
      substitutions: SUBSTITUTIONS,
      functions,
      services,
      input: { batchId: 'b-2', customers: [] },
    });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({ batchId: 'b-2', skipped: true });
    expect(enteredStates(result.events)).toEqual(['LoadBatch', 'AnyCustomers', 'NothingToScore']);
    expect(seen.scoreEvents).toEqual([]);
  });

  it('records every state in the event log and times each one', async () => {
    const { functions, services } = smokeHandlers();

    const result = await runStateMachine({
      definitionFile: SMOKE,
      substitutions: SUBSTITUTIONS,
      functions,
      services,
      input: { batchId: 'b-1', customers: CUSTOMERS },
      retryIntervalOverrides: 0,
    });

    const ran = [
      'LoadBatch',
      'AnyCustomers',
      'ScoreCustomers',
      'Score',
      'Publish',
      'PublishEvents',
      'ExportSegment',
      'ExportFailed',
      'Summarize',
    ];
    expect(new Set(enteredStates(result.events))).toEqual(new Set(ran));
    expect(result.events[0]?.type).toBe('ExecutionStarted');
    expect(result.events.at(-1)?.type).toBe('ExecutionSucceeded');
    const scoreEntries = result.events.filter(
      (event) => event.type === 'StateEntered' && event.stateName === 'Score',
    );
    expect(scoreEntries.map((event) => event.index).sort()).toEqual([0, 1, 2]);
    expect(
      result.events.filter((event) => event.type === 'StateCaught').map((event) => event.stateName),
    ).toEqual(['ExportSegment']);
    expect(
      result.events.find((event) => event.type === 'StateFailed' && event.stateName === 'ExportSegment')
        ?.error,
    ).toBe('PermanentError');

    expect(Object.keys(result.stateDurations).sort()).toEqual([...ran].sort());
    // Two waves under MaxConcurrency 2; the slow first item alone takes 60 ms.
    expect(result.stateDurations.ScoreCustomers).toBeGreaterThanOrEqual(55);
    // Summed over the three iterations: 60 + 20 + 20 ms.
    expect(result.stateDurations.Score).toBeGreaterThanOrEqual(95);
    for (const ms of Object.values(result.stateDurations)) expect(ms).toBeGreaterThanOrEqual(0);
  });

  it('resolves FAILED with the error name and the Lambda cause when retries run out', async () => {
    const { seen, functions, services } = smokeHandlers({ loadFailures: 10 });

    const result = await runStateMachine({
      definitionFile: SMOKE,
      substitutions: SUBSTITUTIONS,
      functions,
      services,
      input: { batchId: 'b-1', customers: CUSTOMERS },
      retryIntervalOverrides: { LoadBatch: 0 },
    });

    expect(result.status).toBe('FAILED');
    expect(result.output).toBeUndefined();
    expect(result.error).toBe('TransientError');
    expect(JSON.parse(result.cause ?? '{}')).toMatchObject({
      errorType: 'TransientError',
      errorMessage: 'feature store busy (attempt 4)',
    });
    expect(seen.loadAttempts).toBe(4); // the first try and MaxAttempts 3
    expect(result.events.at(-1)).toMatchObject({ type: 'ExecutionFailed', error: 'TransientError' });
  });
});

describe('setup errors reject before any handler runs', () => {
  it('names an unresolved placeholder', () => {
    const { EventBusName: _omitted, ...incomplete } = SUBSTITUTIONS;

    const load = () => loadDefinition(SMOKE, incomplete);

    expect(load).toThrow(UnresolvedPlaceholderError);
    expect(load).toThrow(`${SMOKE}: unresolved placeholder \${EventBusName}; add it to substitutions`);
  });

  it('names every unresolved placeholder when running', async () => {
    const { seen, functions, services } = smokeHandlers();

    const run = runStateMachine({ definitionFile: SMOKE, substitutions: {}, functions, services });

    await expect(run).rejects.toMatchObject({
      name: 'UnresolvedPlaceholderError',
      placeholders: ['LoadBatchFunctionArn', 'ScoreFunctionArn', 'EventBusName', 'ExportFunctionArn'],
    });
    expect(seen.loadAttempts).toBe(0);
  });

  it('names an unmapped Task state and its resource instead of calling AWS', async () => {
    const { seen, functions } = smokeHandlers();

    const run = runStateMachine({
      definitionFile: SMOKE,
      substitutions: SUBSTITUTIONS,
      functions,
      input: { batchId: 'b-1', customers: CUSTOMERS },
    });

    await expect(run).rejects.toThrow(UnmappedTaskError);
    await expect(run).rejects.toThrow(
      `"PublishEvents" (resource ${PUT_EVENTS}; add services["${PUT_EVENTS}"])`,
    );
    expect(seen.loadAttempts).toBe(0);
  });

  it('names the missing function of a lambda:invoke Task', async () => {
    const { functions, services } = smokeHandlers();
    const { score: _omitted, ...withoutScore } = functions;

    const run = runStateMachine({
      definitionFile: SMOKE,
      substitutions: SUBSTITUTIONS,
      functions: withoutScore,
      services,
    });

    await expect(run).rejects.toThrow(
      `"Score" (resource arn:aws:states:::lambda:invoke; add functions["score"])`,
    );
  });

  it('refuses an invalid definition with the validator findings', async () => {
    const definition = { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } };

    await expect(runStateMachine({ definition })).rejects.toThrow(InvalidDefinitionError);
    await expect(runStateMachine({ definition })).rejects.toThrow(/Nowhere/);
  });

  it('refuses JSONata, which the interpreter would silently not evaluate', async () => {
    const definition = { QueryLanguage: 'JSONata', StartAt: 'A', States: { A: { Type: 'Pass', End: true } } };

    await expect(runStateMachine({ definition })).rejects.toThrow(/QueryLanguage JSONata/);
  });

  it('refuses an override for a state that does not exist', async () => {
    const definition = { StartAt: 'Pause', States: { Pause: { Type: 'Wait', Seconds: 1, End: true } } };

    const run = runStateMachine({ definition, waitTimeOverrides: { Paus: 0 } });

    await expect(run).rejects.toThrow(LocalStateMachineError);
    await expect(run).rejects.toThrow('waitTimeOverrides names "Paus", not a Wait state (known: Pause)');
  });
});

describe('error matching', () => {
  const failing = (errorEquals: string[]) => ({
    StartAt: 'Export',
    States: {
      Export: {
        Type: 'Task',
        Resource: 'arn:aws:lambda:eu-west-1:123456789012:function:export-segment',
        Catch: [{ ErrorEquals: errorEquals, ResultPath: '$.error', Next: 'Handled' }],
        End: true,
      },
      Handled: { Type: 'Pass', End: true },
    },
  });
  const throwsPermanent: LocalHandler<unknown, never> = async () => {
    throw new PermanentError('no destination');
  };

  it.each([['PermanentError'], ['States.TaskFailed'], ['States.ALL']])(
    'catches a named error with ErrorEquals %s and puts Error and Cause at ResultPath',
    async (errorName) => {
      const result = await runStateMachine({
        definition: failing([errorName]),
        functions: { 'export-segment': throwsPermanent },
        input: { batchId: 'b-1' },
      });

      expect(result.status).toBe('SUCCEEDED');
      const output = result.output as { batchId: string; error: { Error: string; Cause: string } };
      expect(output.batchId).toBe('b-1');
      expect(output.error.Error).toBe('PermanentError');
      const cause = JSON.parse(output.error.Cause) as {
        errorType: string;
        errorMessage: string;
        trace: string[];
      };
      expect(cause.errorType).toBe('PermanentError');
      expect(cause.errorMessage).toBe('no destination');
      expect(cause.trace[0]).toBe('PermanentError: no destination');
    },
  );

  it('does not catch a different error name', async () => {
    const result = await runStateMachine({
      definition: failing(['TransientError']),
      functions: { 'export-segment': throwsPermanent },
    });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PermanentError');
  });

  it('names a thrown non-error by its type, as the Lambda runtime does', async () => {
    const result = await runStateMachine({
      definition: failing(['TransientError']),
      functions: {
        'export-segment': async () => {
          throw 'disk full';
        },
      },
    });

    expect(result.error).toBe('string');
    expect(JSON.parse(result.cause ?? '{}')).toEqual({
      errorType: 'string',
      errorMessage: 'disk full',
      trace: [],
    });
  });

  it('retries a service integration on its error name; the Cause is the message', async () => {
    let calls = 0;
    const definition = {
      StartAt: 'Train',
      States: {
        Train: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sagemaker:createTrainingJob.sync',
          Parameters: { 'TrainingJobName.$': '$.job' },
          Retry: [{ ErrorEquals: ['SageMaker.ThrottlingException'], MaxAttempts: 1 }],
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' }],
          End: true,
        },
        Failed: { Type: 'Pass', End: true },
      },
    };
    const train = async (input: { TrainingJobName: string }) => {
      calls += 1;
      throw Object.assign(new Error(`rate exceeded for ${input.TrainingJobName}`), {
        name: 'SageMaker.ThrottlingException',
      });
    };

    const result = await runStateMachine({
      definition,
      services: { 'arn:aws:states:::sagemaker:createTrainingJob.sync': train },
      input: { job: 'churn-42' },
      retryIntervalOverrides: 0,
    });

    expect(calls).toBe(2);
    expect(result.output).toEqual({
      job: 'churn-42',
      error: { Error: 'SageMaker.ThrottlingException', Cause: 'rate exceeded for churn-42' },
    });
  });
});

describe('Lambda invocation details', () => {
  it('resolves FunctionName.$ at run time, with an alias ARN, and fails like Lambda for an unknown one', async () => {
    const definition = {
      StartAt: 'Invoke',
      States: {
        Invoke: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { 'FunctionName.$': '$.fn', Payload: { 'execution.$': '$$.Execution.Name' } },
          End: true,
        },
      },
    };
    const echo: LocalHandler<unknown, unknown> = async (event, context) => ({
      event,
      functionName: context.functionName,
    });
    const run = (fn: string) =>
      runStateMachine({ definition, functions: { score: echo }, input: { fn }, executionName: 'exec-7' });

    const found = await run('arn:aws:lambda:eu-west-1:123456789012:function:score:live');
    const missing = await run('no-such-function');

    expect(found.output).toEqual({
      ExecutedVersion: '$LATEST',
      Payload: { event: { execution: 'exec-7' }, functionName: 'score' },
      StatusCode: 200,
    });
    expect(missing.status).toBe('FAILED');
    expect(missing.error).toBe('Lambda.ResourceNotFoundException');
    expect(missing.cause).toContain('"no-such-function"');
  });
});

describe('interpreter deviations the runner patches or surfaces', () => {
  it('replaces the whole input for ResultPath "$"', async () => {
    const definition = {
      StartAt: 'Replace',
      States: { Replace: { Type: 'Pass', Result: { replaced: true }, ResultPath: '$', End: true } },
    };

    const result = await runStateMachine({ definition, input: { original: 1 } });

    expect(result.output).toEqual({ replaced: true });
  });

  it('lets a Task without TimeoutSeconds run past the interpreter default of 60 s, as AWS does', async () => {
    const definition = {
      StartAt: 'Train',
      States: {
        Train: { Type: 'Task', Resource: 'arn:aws:lambda:eu-west-1:123456789012:function:train', End: true },
      },
    };
    let finish = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const train: LocalHandler<unknown, unknown> = async () => {
      await finished;
      return { epochs: 30 };
    };
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const run = runStateMachine({ definition, functions: { train } });
      await vi.advanceTimersByTimeAsync(61_000);
      finish();

      expect(await run).toMatchObject({ status: 'SUCCEEDED', output: { epochs: 30 } });
    } finally {
      vi.useRealTimers();
    }
  });

  it('skips Wait states with waitTimeOverrides and reports ABORTED when the signal fires', async () => {
    const definition = { StartAt: 'Pause', States: { Pause: { Type: 'Wait', Seconds: 3600, End: true } } };

    const skipped = await runStateMachine({ definition, input: { a: 1 }, waitTimeOverrides: 0 });
    const controller = new AbortController();
    const aborted = runStateMachine({ definition, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);

    expect(skipped).toMatchObject({ status: 'SUCCEEDED', output: { a: 1 } });
    expect(await aborted).toMatchObject({ status: 'ABORTED' });
  });

  it('reports TIMED_OUT when TimeoutSeconds elapses', async () => {
    const definition = {
      TimeoutSeconds: 1,
      StartAt: 'Pause',
      States: { Pause: { Type: 'Wait', Seconds: 30, End: true } },
    };

    const result = await runStateMachine({ definition });

    expect(result).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    expect(result.events.at(-1)?.type).toBe('ExecutionTimeout');
  });
});

describe('definition helpers', () => {
  it('lists the placeholders a CDK stack must substitute', () => {
    expect(placeholdersIn(readFileSync(SMOKE, 'utf8'))).toEqual([
      'LoadBatchFunctionArn',
      'ScoreFunctionArn',
      'EventBusName',
      'ExportFunctionArn',
    ]);
  });

  it('substitutes placeholders textually before parsing', () => {
    const definition = loadDefinition(SMOKE, SUBSTITUTIONS);

    expect(definition.States.LoadBatch).toMatchObject({ Resource: SUBSTITUTIONS.LoadBatchFunctionArn });
    expect(JSON.stringify(definition)).not.toContain('${');
  });

  it('lists Task states in Parallel branches and Map item processors', () => {
    expect(listTaskStates(loadDefinition(SMOKE, SUBSTITUTIONS))).toEqual([
      { name: 'LoadBatch', resource: SUBSTITUTIONS.LoadBatchFunctionArn, path: [] },
      { name: 'Score', resource: 'arn:aws:states:::lambda:invoke', path: ['ScoreCustomers'] },
      { name: 'PublishEvents', resource: PUT_EVENTS, path: ['Publish'] },
      { name: 'ExportSegment', resource: 'arn:aws:states:::lambda:invoke', path: ['Publish'] },
    ]);
  });

  it('validates the fixture clean, without modifying it', () => {
    const definition = loadDefinition(SMOKE, SUBSTITUTIONS);
    const before = JSON.stringify(definition);

    expect(validateDefinition(definition)).toEqual([]);
    expect(JSON.stringify(definition)).toBe(before);
  });

  it('reports what is wrong with a broken definition', () => {
    const broken = {
      StartAt: 'Score',
      States: {
        Score: { Type: 'Task', Resource: 'not-an-arn', Next: 'Publish' },
      },
    };

    const errors = validateDefinition(broken);

    expect(errors.length).toBeGreaterThan(0);
    expect(errors.map((error) => error.code)).toContain('SCHEMA_VALIDATION_FAILED');
    expect(errors.some((error) => error.message.includes('/States/Score/Resource'))).toBe(true);
  });

  it('reports a transition to a missing state', () => {
    const errors = validateDefinition({
      StartAt: 'A',
      States: {
        A: {
          Type: 'Choice',
          Choices: [{ Variable: '$.x', IsPresent: true, Next: 'Nowhere' }],
          Default: 'Done',
        },
        Done: { Type: 'Succeed' },
      },
    });

    expect(errors).toEqual([
      { code: 'MISSING_TRANSITION_TARGET', message: "Missing 'StartAt'|'Next'|'Default' target: Nowhere" },
    ]);
  });
});
