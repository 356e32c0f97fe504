/**
 * Local Step Functions: runs the ASL files in `statemachines/` with aws-local-stepfunctions, the way the
 * deployed state machines run them, against in-process handlers instead of AWS.
 *
 * What it adds to the interpreter, and why:
 * - `${Name}` placeholders are substituted in the file text before parsing, as CloudFormation does with
 *   the `DefinitionSubstitutions` that CDK's `definitionSubstitutions` renders (`DefinitionBody.fromFile`
 *   uploads the file untouched as an asset), so the local run and the deployment read the same file.
 * - Every Task state is bound to a local handler before the execution starts. The interpreter sends an
 *   unmapped Task to real AWS Lambda; here an unmapped Task is a setup error that names the state.
 * - Handler errors reach Retry/Catch as they would from Lambda: `Error` is the error's `name`, and for
 *   Lambda functions `Cause` is the JSON `{errorType, errorMessage, trace}` envelope.
 * - Works around interpreter gaps found in 3.0.0: Node 20 has no `Promise.withResolvers`; Tasks default
 *   to a 60 s timeout (AWS: none); `ResultPath: "$"` writes a `"$"` key instead of replacing the input;
 *   JSONata and Distributed Map readers/writers are silently ignored, so they are refused up front.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import { types } from 'node:util';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  type RunOptions,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { invoke, type LocalHandler } from './lambda.js';

installPromiseWithResolvers();

/** An Amazon States Language definition, as aws-local-stepfunctions types it. */
export type AslDefinition = StateMachineDefinition;
/** Any JSON value: what flows between states. */
export type JsonValue = Parameters<StateMachine['run']>[0];

/**
 * A local stand-in for a service integration (`arn:aws:states:::events:putEvents`, `...sagemaker:createTrainingJob.sync`).
 * It receives the Task input after `Parameters` and returns what the service would; `never` lets callers
 * pass handlers typed for their own input.
 */
export type ServiceHandler = (input: never) => Promise<unknown>;

export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One entry of the execution's event log, flattened. */
export interface ExecutionEvent {
  /** `ExecutionStarted`, `StateEntered`, `StateRetried`, `MapIterationStarted`, ... */
  readonly type: string;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  /** The state for state events; the Map or Parallel state for iteration and branch events. */
  readonly stateName?: string;
  readonly stateType?: string;
  /** Map iteration index, for events inside a Map's item processor. */
  readonly index?: number;
  readonly error?: string;
  readonly cause?: string;
  /** Which retry this is (1 for the first retry), for `StateRetried`. */
  readonly attempt?: number;
}

/** What DescribeExecution would say, plus the event log. A failed execution resolves, it does not throw. */
export interface ExecutionResult {
  readonly executionName: string;
  readonly status: ExecutionStatus;
  readonly output?: JsonValue;
  readonly error?: string;
  readonly cause?: string;
  readonly events: readonly ExecutionEvent[];
  /** Total milliseconds spent in each state, summed over Map iterations and including retries. */
  readonly stateDurations: Readonly<Record<string, number>>;
}

/** A Task state wherever it sits: top level, a Parallel branch or a Map item processor. */
export interface TaskStateInfo {
  readonly name: string;
  readonly resource: string;
  /** Enclosing Parallel/Map states, outermost first; empty at top level. */
  readonly path: readonly string[];
}

export interface AslValidationError {
  /** asl-validator's code, e.g. `MISSING_TRANSITION_TARGET`, `SCHEMA_VALIDATION_FAILED`. */
  readonly code: string;
  readonly message: string;
}

type DefinitionSource =
  | {
      /** An `.asl.json` file; its placeholders are substituted before parsing. */
      readonly definitionFile: string;
      readonly definition?: never;
    }
  | {
      /** A definition object; placeholders in it are substituted too. */
      readonly definition: unknown;
      readonly definitionFile?: never;
    };

export type RunStateMachineOptions = DefinitionSource & {
  /** Values for `${Name}` placeholders, the same map CDK gets as `definitionSubstitutions`. */
  readonly substitutions?: Readonly<Record<string, string>>;
  /** Lambda handlers by function name: what a function ARN or `FunctionName` resolves to. */
  readonly functions?: Readonly<Record<string, LocalHandler<never, unknown>>>;
  /** Service integrations by full resource ARN; an entry here wins over `functions` for that resource. */
  readonly services?: Readonly<Record<string, ServiceHandler>>;
  /** Execution input. @default {} */
  readonly input?: unknown;
  /** Milliseconds to wait before each retry: one number for every state with `Retry`, or per state name. */
  readonly retryIntervalOverrides?: number | Readonly<Record<string, number | readonly number[]>>;
  /** Milliseconds each Wait state pauses: one number for all, or per state name. */
  readonly waitTimeOverrides?: number | Readonly<Record<string, number>>;
  /** Shows up as `$$.Execution.Name`. @default a random UUID */
  readonly executionName?: string;
  /** Shows up as `$$.StateMachine.Name`. @default the file name without `.asl.json` */
  readonly stateMachineName?: string;
  /** Aborting it stops the execution with status `ABORTED`, like StopExecution. */
  readonly signal?: AbortSignal;
};

/** The state machine cannot run locally as given: a setup problem, never an execution failure. */
export class LocalStateMachineError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class UnresolvedPlaceholderError extends LocalStateMachineError {
  constructor(
    readonly source: string,
    readonly placeholders: readonly string[],
  ) {
    super(
      `${source}: unresolved placeholder${placeholders.length > 1 ? 's' : ''} ` +
        `${placeholders.map((name) => `\${${name}}`).join(', ')}; add ${placeholders.length > 1 ? 'them' : 'it'} to substitutions`,
    );
  }
}

export class UnmappedTaskError extends LocalStateMachineError {
  constructor(
    readonly source: string,
    readonly tasks: readonly (TaskStateInfo & { readonly fix: string })[],
  ) {
    super(
      `${source}: Task states without a local handler (they would call real AWS): ` +
        tasks.map((task) => `"${task.name}" (resource ${task.resource}; ${task.fix})`).join(', '),
    );
  }
}

export class InvalidDefinitionError extends LocalStateMachineError {
  constructor(
    readonly source: string,
    readonly problems: string,
    options?: ErrorOptions,
  ) {
    super(`${source}: invalid state machine definition: ${problems}`, options);
  }
}

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const LAMBDA_FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[^:]*:\d*:function:([^:]+)(?::[^:]+)?$/;
const PARTIAL_FUNCTION_ARN = /^\d+:function:([^:]+)(?::[^:]+)?$/;
const PLACEHOLDER = /\$\{([^{}]*)\}/g;
// setTimeout overflows past 2^31-1 ms and then fires at once, which would time every Task out immediately.
const MAX_TIMER_SECONDS = Math.floor(2 ** 31 / 1000) - 1;
const LOCAL_ACCOUNT = '000000000000';
const LOCAL_REGION = 'local';

/** The `${Name}` placeholders in a definition's text, each once, in order of appearance. */
export function placeholdersIn(text: string): string[] {
  return [...new Set(Array.from(text.matchAll(PLACEHOLDER), (match) => match[1] ?? ''))];
}

/**
 * Replaces `${Name}` with `substitutions[Name]` in one pass, textually, as CloudFormation does; a
 * placeholder without a value is left in place (see `loadDefinition` for the check).
 */
export function substitutePlaceholders(
  text: string,
  substitutions: Readonly<Record<string, string>>,
): string {
  return text.replace(PLACEHOLDER, (placeholder, name: string) =>
    Object.hasOwn(substitutions, name) ? (substitutions[name] ?? placeholder) : placeholder,
  );
}

/**
 * Reads an ASL file, substitutes its placeholders and parses it: the definition the deployed state
 * machine gets. Throws `UnresolvedPlaceholderError` naming every placeholder left without a value.
 */
export function loadDefinition(
  file: string,
  substitutions: Readonly<Record<string, string>> = {},
): AslDefinition {
  return parseDefinition(readFileSync(file, 'utf8'), substitutions, file);
}

/** Every Task state, including those in Parallel branches and Map item processors. */
export function listTaskStates(definition: AslDefinition): TaskStateInfo[] {
  const tasks: TaskStateInfo[] = [];
  for (const { name, state, path } of walkStates(definition)) {
    if (state.Type === 'Task') tasks.push({ name, resource: state.Resource, path });
  }
  return tasks;
}

/**
 * asl-validator 4's findings for a definition (ARNs and JSONPaths checked); empty when valid.
 * The definition is not modified (the validator itself writes `QueryLanguage` into every state).
 */
export function validateDefinition(definition: unknown): AslValidationError[] {
  const result = aslValidator()(structuredClone(definition), { checkArn: true, checkPaths: true });
  if (!isRecord(result) || !Array.isArray(result.errors)) {
    throw new TypeError('asl-validator returned no error list; has its API changed?');
  }
  return result.errors.map((error: unknown) => ({
    code: isRecord(error) ? String(error['Error code']) : 'UNKNOWN',
    message: isRecord(error) ? String(error.Message) : String(error),
  }));
}

/**
 * Runs a state machine to completion against local handlers. Setup problems (placeholders, invalid
 * definition, unmapped Tasks, unsupported features, unknown override names) reject before any handler
 * runs; an execution that fails resolves with status `FAILED`, `error` and `cause`, like DescribeExecution.
 */
export async function runStateMachine(options: RunStateMachineOptions): Promise<ExecutionResult> {
  const substitutions = options.substitutions ?? {};
  const source = options.definitionFile ?? 'inline definition';
  const definition =
    options.definitionFile === undefined
      ? parseDefinition(definitionText(options.definition, source), substitutions, source)
      : loadDefinition(options.definitionFile, substitutions);

  refuseUnsupported(definition, source);
  assertValid(definition, source);

  const overrides = {
    taskResourceLocalHandlers: taskHandlers(definition, options, source),
    retryIntervalOverrides: retryOverrides(definition, options.retryIntervalOverrides, source),
    waitTimeOverrides: waitOverrides(definition, options.waitTimeOverrides, source),
  };
  const executionName = options.executionName ?? randomUUID();
  const machineName = options.stateMachineName ?? machineNameOf(options.definitionFile);
  const machine = new StateMachine(prepareForLocalRun(definition), {
    validationOptions: { noValidate: true },
  });
  const execution = machine.run(toJson(options.input ?? {}), {
    overrides,
    context: executionContext(machineName, executionName),
  });

  const abort = () => execution.abort();
  if (options.signal?.aborted) abort();
  options.signal?.addEventListener('abort', abort, { once: true });

  // Drained alongside the run: the logger queues events until read and closes when the execution ends.
  const logged: LibraryEvent[] = [];
  const draining = (async () => {
    for await (const event of execution.eventLogs) logged.push(event);
  })();

  let outcome: Pick<ExecutionResult, 'status' | 'output' | 'error' | 'cause'>;
  try {
    outcome = { status: 'SUCCEEDED', output: await execution.result };
  } catch (error) {
    outcome = failureOutcome(error);
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }
  await draining;

  const events = logged.map(simplifyEvent);
  return { executionName, ...outcome, events, stateDurations: stateDurations(events) };
}

type AslState = AslDefinition['States'][string];
type LibraryEvent = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;
type RunOverrides = NonNullable<RunOptions['overrides']>;
type TaskHandlerTable = NonNullable<RunOverrides['taskResourceLocalHandlers']>;
type TaskHandler = TaskHandlerTable[string];

interface StateVisit {
  readonly name: string;
  readonly state: AslState;
  readonly path: readonly string[];
}

function* walkStates(
  definition: Pick<AslDefinition, 'States'>,
  path: readonly string[] = [],
): Generator<StateVisit> {
  for (const [name, state] of Object.entries(definition.States)) {
    yield { name, state, path };
    if (state.Type === 'Parallel') {
      for (const branch of state.Branches) yield* walkStates(branch, [...path, name]);
    } else if (state.Type === 'Map') {
      const processor = state.ItemProcessor ?? state.Iterator;
      if (processor) yield* walkStates(processor, [...path, name]);
    }
  }
}

// Validation compiles the validator's schemas each time (about 0.2 s), so each definition is checked once.
const validDefinitions = new Set<string>();

function assertValid(definition: AslDefinition, source: string): void {
  const key = JSON.stringify(definition);
  if (validDefinitions.has(key)) return;
  try {
    // Constructing validates (asl-validator 3, ARNs and paths checked); the clone absorbs its writes.
    new StateMachine(structuredClone(definition));
  } catch (error) {
    throw new InvalidDefinitionError(source, error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
  validDefinitions.add(key);
}

function definitionText(definition: unknown, source: string): string {
  const text: string | undefined = JSON.stringify(definition);
  if (text === undefined) throw new InvalidDefinitionError(source, 'no definition given');
  return text;
}

function parseDefinition(
  text: string,
  substitutions: Readonly<Record<string, string>>,
  source: string,
): AslDefinition {
  const substituted = substitutePlaceholders(text, substitutions);
  const unresolved = placeholdersIn(substituted);
  if (unresolved.length > 0) throw new UnresolvedPlaceholderError(source, unresolved);
  let parsed: unknown;
  try {
    parsed = JSON.parse(substituted);
  } catch (error) {
    // A value containing `"` or `\` breaks the JSON here exactly as it would in CloudFormation.
    throw new InvalidDefinitionError(source, `not JSON after substitution (${String(error)})`, {
      cause: error,
    });
  }
  if (!isDefinitionShape(parsed)) {
    throw new InvalidDefinitionError(
      source,
      'expected an object with "StartAt" (string) and "States" (object)',
    );
  }
  return parsed;
}

/** Only the outline; the validator checks the rest before anything runs. */
function isDefinitionShape(value: unknown): value is AslDefinition {
  return isRecord(value) && typeof value.StartAt === 'string' && isRecord(value.States);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Features the interpreter would skip without a word, so the local run would not match AWS. */
function refuseUnsupported(definition: AslDefinition, source: string): void {
  const problems: string[] = [];
  if (queryLanguageOf(definition) === 'JSONata') problems.push('QueryLanguage JSONata (use JSONPath)');
  for (const { name, state } of walkStates(definition)) {
    if (queryLanguageOf(state) === 'JSONata')
      problems.push(`state "${name}" uses QueryLanguage JSONata (use JSONPath)`);
    if (state.Type !== 'Map') continue;
    const distributed = ['ItemReader', 'ItemBatcher', 'ResultWriter'].filter((field) => field in state);
    if (distributed.length > 0) {
      problems.push(
        `Map state "${name}" uses ${distributed.join(', ')} (Distributed Map: items must come from the input)`,
      );
    }
  }
  if (problems.length > 0) {
    throw new LocalStateMachineError(`${source}: not supported by the local runner: ${problems.join('; ')}`);
  }
}

function queryLanguageOf(value: object): unknown {
  return Reflect.get(value, 'QueryLanguage');
}

/** A copy with the interpreter's deviations from AWS patched out. */
function prepareForLocalRun(definition: AslDefinition): AslDefinition {
  const copy = structuredClone(definition);
  if (copy.TimeoutSeconds !== undefined)
    copy.TimeoutSeconds = Math.min(copy.TimeoutSeconds, MAX_TIMER_SECONDS);
  for (const { state } of walkStates(copy)) {
    if (state.Type === 'Task') {
      // AWS lets a Task run until the execution times out; the interpreter stops it after 60 s.
      if (state.TimeoutSecondsPath === undefined) {
        state.TimeoutSeconds = Math.min(state.TimeoutSeconds ?? MAX_TIMER_SECONDS, MAX_TIMER_SECONDS);
      }
    }
    // `ResultPath: "$"` means "replace the input with the result"; omitting it means the same.
    if ('ResultPath' in state && state.ResultPath === '$') delete state.ResultPath;
    if ('Catch' in state) {
      for (const catcher of state.Catch ?? []) if (catcher.ResultPath === '$') delete catcher.ResultPath;
    }
  }
  return copy;
}

function taskHandlers(
  definition: AslDefinition,
  options: RunStateMachineOptions,
  source: string,
): TaskHandlerTable {
  const functions = options.functions ?? {};
  const services = options.services ?? {};
  const table: TaskHandlerTable = {};
  const resources = new Map<string, string>();
  const unmapped: (TaskStateInfo & { fix: string })[] = [];

  for (const { name, state, path } of walkStates(definition)) {
    if (state.Type !== 'Task') continue;
    const resource = state.Resource;
    // The interpreter looks handlers up by state name alone, so one name must mean one resource.
    const seen = resources.get(name);
    if (seen !== undefined && seen !== resource) {
      throw new LocalStateMachineError(
        `${source}: two Task states are named "${name}" (${seen}, ${resource})`,
      );
    }
    resources.set(name, resource);

    const service = Object.hasOwn(services, resource) ? services[resource] : undefined;
    if (service) {
      table[name] = serviceTask(service);
      continue;
    }
    if (resource === LAMBDA_INVOKE) {
      const target = invokeTarget(state.Parameters);
      if (target.kind === 'missing') {
        unmapped.push({ name, resource, path, fix: 'Parameters need FunctionName or FunctionName.$' });
      } else if (target.kind === 'static' && !Object.hasOwn(functions, target.functionName)) {
        unmapped.push({ name, resource, path, fix: `add functions["${target.functionName}"]` });
      } else {
        table[name] = lambdaInvokeTask(name, functions);
      }
      continue;
    }
    const functionName = LAMBDA_FUNCTION_ARN.exec(resource)?.[1];
    const handler =
      functionName !== undefined && Object.hasOwn(functions, functionName)
        ? functions[functionName]
        : undefined;
    if (functionName !== undefined && handler) {
      table[name] = async (input) => callFunction(functionName, handler, input);
    } else {
      unmapped.push({
        name,
        resource,
        path,
        fix: functionName === undefined ? `add services["${resource}"]` : `add functions["${functionName}"]`,
      });
    }
  }
  if (unmapped.length > 0) throw new UnmappedTaskError(source, unmapped);
  return table;
}

type InvokeTarget = { kind: 'static'; functionName: string } | { kind: 'dynamic' } | { kind: 'missing' };

/** The function a `lambda:invoke` Task names up front; a `FunctionName.$` is only known at run time. */
function invokeTarget(parameters: unknown): InvokeTarget {
  if (!isRecord(parameters)) return { kind: 'missing' };
  if (typeof parameters.FunctionName === 'string') {
    return { kind: 'static', functionName: functionNameOf(parameters.FunctionName) };
  }
  return typeof parameters['FunctionName.$'] === 'string' ? { kind: 'dynamic' } : { kind: 'missing' };
}

/** `FunctionName` accepts a name, a full or partial ARN, each with an optional version or alias. */
function functionNameOf(nameOrArn: string): string {
  const fromArn = LAMBDA_FUNCTION_ARN.exec(nameOrArn)?.[1] ?? PARTIAL_FUNCTION_ARN.exec(nameOrArn)?.[1];
  return fromArn ?? nameOrArn.split(':')[0] ?? nameOrArn;
}

/** `lambda:invoke` gets `{FunctionName, Payload, ...}` and answers like the Invoke API: the result under `Payload`. */
function lambdaInvokeTask(
  stateName: string,
  functions: Readonly<Record<string, LocalHandler<never, unknown>>>,
): TaskHandler {
  return async (input) => {
    const request = isRecord(input) ? input : {};
    const requested = request.FunctionName;
    const name = typeof requested === 'string' ? functionNameOf(requested) : undefined;
    const handler = name !== undefined && Object.hasOwn(functions, name) ? functions[name] : undefined;
    if (name === undefined || !handler) {
      // What Lambda answers for a function that does not exist; only a FunctionName.$ can get here.
      throw namedError(
        'Lambda.ResourceNotFoundException',
        `Task state "${stateName}": no local function for FunctionName ${JSON.stringify(requested)}`,
      );
    }
    // Lambda hands a function invoked without a payload an empty object.
    const payload = await callFunction(name, handler, 'Payload' in request ? request.Payload : {});
    return { ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200 };
  };
}

async function callFunction(
  name: string,
  handler: LocalHandler<never, unknown>,
  event: unknown,
): Promise<JsonValue> {
  let result: unknown;
  try {
    // The definition decides the event's shape, as in AWS; the handler validates what it gets.
    result = await invoke(name, handler, toJson(event) as never);
  } catch (error) {
    throw lambdaError(error);
  }
  return toJson(result);
}

function serviceTask(service: ServiceHandler): TaskHandler {
  return async (input) => {
    try {
      return toJson(await service(toJson(input) as never));
    } catch (error) {
      throw types.isNativeError(error) ? error : namedError(typeof error, String(error));
    }
  };
}

/**
 * What Step Functions sees when a Lambda function throws: `Error` is the errorType (the error's `name`,
 * or the `typeof` of a thrown non-error, as the Node.js runtime reports it) and `Cause` the JSON error payload.
 */
function lambdaError(error: unknown): Error {
  const isError = types.isNativeError(error);
  const errorType = isError ? error.name : typeof error;
  const errorMessage = isError ? error.message : String(error);
  const trace = isError && error.stack !== undefined ? error.stack.split('\n') : [];
  return namedError(errorType, JSON.stringify({ errorType, errorMessage, trace }));
}

/** The interpreter matches `ErrorEquals` against `error.name` and reports `error.message` as the Cause. */
function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Through JSON, as across the Lambda boundary: no shared references, `undefined` becomes `null`. */
function toJson(value: unknown): JsonValue {
  const text: string | undefined = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as JsonValue);
}

function retryOverrides(
  definition: AslDefinition,
  setting: RunStateMachineOptions['retryIntervalOverrides'],
  source: string,
): RunOverrides['retryIntervalOverrides'] {
  if (setting === undefined) return undefined;
  const retrying = [...walkStates(definition)]
    .filter(({ state }) => 'Retry' in state && state.Retry !== undefined)
    .map(({ name }) => name);
  if (typeof setting === 'number') return Object.fromEntries(retrying.map((name) => [name, setting]));
  checkOverrideNames(Object.keys(setting), retrying, 'retryIntervalOverrides', 'a state with Retry', source);
  return Object.fromEntries(
    Object.entries(setting).map(([name, wait]) => [name, typeof wait === 'number' ? wait : [...wait]]),
  );
}

function waitOverrides(
  definition: AslDefinition,
  setting: RunStateMachineOptions['waitTimeOverrides'],
  source: string,
): RunOverrides['waitTimeOverrides'] {
  if (setting === undefined) return undefined;
  const waits = [...walkStates(definition)]
    .filter(({ state }) => state.Type === 'Wait')
    .map(({ name }) => name);
  if (typeof setting === 'number') return Object.fromEntries(waits.map((name) => [name, setting]));
  checkOverrideNames(Object.keys(setting), waits, 'waitTimeOverrides', 'a Wait state', source);
  return { ...setting };
}

/** An override for a misspelt state is silently ignored by the interpreter; say so instead. */
function checkOverrideNames(
  given: string[],
  known: string[],
  option: string,
  what: string,
  source: string,
): void {
  const unknown = given.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new LocalStateMachineError(
      `${source}: ${option} names ${unknown.map((name) => `"${name}"`).join(', ')}, not ${what} (known: ${known.join(', ') || 'none'})`,
    );
  }
}

function machineNameOf(file: string | undefined): string {
  return file === undefined ? 'local' : basename(file).replace(/(\.asl)?\.json$/, '');
}

/** The parts of the context object (`$$`) the interpreter leaves to the caller. */
function executionContext(machineName: string, executionName: string): NonNullable<RunOptions['context']> {
  const prefix = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}`;
  return {
    Execution: {
      Id: `${prefix}:execution:${machineName}:${executionName}`,
      Name: executionName,
      RoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${machineName}-local`,
    },
    StateMachine: { Id: `${prefix}:stateMachine:${machineName}`, Name: machineName },
  };
}

function failureOutcome(error: unknown): Pick<ExecutionResult, 'status' | 'error' | 'cause'> {
  if (error instanceof ExecutionAbortedError) return { status: 'ABORTED' };
  if (error instanceof ExecutionTimeoutError) {
    return {
      status: 'TIMED_OUT',
      error: 'States.Timeout',
      cause: 'The execution ran longer than its TimeoutSeconds',
    };
  }
  if (error instanceof ExecutionError) {
    const failure = error.cause;
    return types.isNativeError(failure)
      ? { status: 'FAILED', error: failure.name, cause: failure.message }
      : { status: 'FAILED', error: 'States.Runtime', cause: String(failure) };
  }
  throw error;
}

function simplifyEvent(event: LibraryEvent): ExecutionEvent {
  const simplified: { -readonly [K in keyof ExecutionEvent]: ExecutionEvent[K] } = {
    type: event.type,
    timestamp: event.timestamp,
  };
  if ('state' in event) {
    simplified.stateName = event.state.name;
    simplified.stateType = event.state.type;
  } else if ('parentState' in event) {
    simplified.stateName = event.parentState.name;
    simplified.stateType = event.parentState.type;
  }
  if ('index' in event && typeof event.index === 'number') simplified.index = event.index;
  if ('Error' in event) {
    simplified.error = event.Error;
    simplified.cause = typeof event.Cause === 'string' ? event.Cause : JSON.stringify(event.Cause);
  }
  if ('retry' in event) simplified.attempt = event.retry.attempt;
  return simplified;
}

/**
 * Entered-to-exited time per state. Retries stay inside one entry; a state that fails for good ends at
 * its last `StateFailed`; one still open when the execution stops (abort, timeout) ends with the log.
 */
function stateDurations(events: readonly ExecutionEvent[]): Record<string, number> {
  const totals = new Map<string, number>();
  const open = new Map<string, { stateName: string; starts: number[]; failedAt?: number }>();
  const add = (stateName: string, ms: number) => totals.set(stateName, (totals.get(stateName) ?? 0) + ms);

  for (const event of events) {
    if (event.stateName === undefined || !event.type.startsWith('State')) continue;
    const key = `${event.stateName}#${event.index ?? ''}`;
    const entry = open.get(key) ?? { stateName: event.stateName, starts: [] };
    open.set(key, entry);
    if (event.type === 'StateEntered') {
      entry.starts.push(event.timestamp);
    } else if (event.type === 'StateExited') {
      const start = entry.starts.shift();
      if (start !== undefined) add(entry.stateName, event.timestamp - start);
      entry.failedAt = undefined;
    } else if (event.type === 'StateFailed') {
      entry.failedAt = event.timestamp;
    } else if (event.type === 'StateRetried') {
      entry.failedAt = undefined;
    }
  }
  const end = events.at(-1)?.timestamp ?? 0;
  for (const entry of open.values()) {
    for (const start of entry.starts) add(entry.stateName, (entry.failedAt ?? end) - start);
  }
  return Object.fromEntries(totals);
}

type AslValidator = (definition: unknown, options: { checkArn: boolean; checkPaths: boolean }) => unknown;

/** asl-validator 4 is CommonJS without typings; load it lazily and check what came back. */
function aslValidator(): AslValidator {
  const loaded: unknown = createRequire(import.meta.url)('asl-validator');
  if (typeof loaded !== 'function')
    throw new TypeError('asl-validator does not export a function; has its API changed?');
  return (definition, options) => Reflect.apply(loaded, undefined, [definition, options]);
}

/**
 * aws-local-stepfunctions 3 targets Node 22 and calls `Promise.withResolvers` in every Task state;
 * Node 20 does not have it.
 */
function installPromiseWithResolvers(): void {
  if (typeof Reflect.get(Promise, 'withResolvers') === 'function') return;
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>(this: PromiseConstructor | undefined) {
      const Constructor = typeof this === 'function' ? this : Promise;
      let resolve: (value: T | PromiseLike<T>) => void = () => undefined;
      let reject: (reason?: unknown) => void = () => undefined;
      const promise = new Constructor<T>((onResolve, onReject) => {
        resolve = onResolve;
        reject = onReject;
      });
      return { promise, resolve, reject };
    },
  });
}
