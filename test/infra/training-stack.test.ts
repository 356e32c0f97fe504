import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Table } from 'aws-cdk-lib/aws-dynamodb';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { GatePolicy } from '../../functions/train/pipeline.js';
import { loadConfig } from '../../infra/config.js';
import { ServiceFunction } from '../../infra/constructs/service-function.js';
import { TrainingPipeline } from '../../infra/constructs/training-pipeline.js';
import { placeholdersIn } from '../../local/cloud/step-functions.js';
import { TRAINING_FUNCTIONS } from '../../local/wiring/training.js';
import { expectNagClean, testApp } from './helpers.js';

const DEFINITION_FILE = 'statemachines/train.asl.json';
const TFJS_WASM_FILES = 'node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm';
const definitionText = readFileSync(DEFINITION_FILE, 'utf8');
const TRAINING_STACK = 'ChurnRadar-dev-Training';

/** The step functions by construct id, with the placeholder that names each in the ASL file. */
const STEPS = {
  Plan: 'PlanTrainingFunctionArn',
  Snapshot: 'SnapshotFunctionArn',
  WriteManifests: 'WriteManifestsFunctionArn',
  TrainComponent: 'TrainComponentFunctionArn',
  Stack: 'StackFunctionArn',
  Gate: 'GateFunctionArn',
  Register: 'RegisterFunctionArn',
  SetAlias: 'SetAliasFunctionArn',
  RecordOutcome: 'RecordOutcomeFunctionArn',
} as const satisfies Record<string, keyof typeof TRAINING_FUNCTIONS>;
type StepId = keyof typeof STEPS;
const STEP_IDS = Object.keys(STEPS) as StepId[];

interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Effect: string;
  readonly Condition?: unknown;
}
interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
}

const actionsOf = (statement: Statement) => [statement.Action].flat();
const resourcesOf = (statement: Statement) => [statement.Resource].flat();

/** The logical id of a step's function (`TrainingPipeline<Id>Function<hash>`). */
function functionId(template: Template, step: StepId): string {
  const ids = Object.keys(template.findResources('AWS::Lambda::Function')).filter((logicalId) =>
    new RegExp(`^TrainingPipeline${step}Function[0-9A-F]{8}$`).test(logicalId),
  );
  expect(ids, `function of step ${step}`).toHaveLength(1);
  return ids[0] as string;
}

function functionOf(template: Template, step: StepId): Resource {
  return template.toJSON().Resources[functionId(template, step)] as Resource;
}

/** Every statement of the policies attached to a role. */
function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Resource[];
  return policies
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roleLogicalId}"`))
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

function statementsOfStep(template: Template, step: StepId): Statement[] {
  const role = (functionOf(template, step).Properties.Role as { 'Fn::GetAtt': [string, string] })[
    'Fn::GetAtt'
  ][0];
  return statementsOfRole(template, role);
}

/**
 * What a set of statements allows in the two buckets, in one readable line per grant:
 * `lakehouse snapshots/* read`, `model runs/* write`, `lakehouse list raw/*`.
 */
function s3Access(statements: readonly Statement[]): string[] {
  const access = new Set<string>();
  for (const statement of statements) {
    const actions = actionsOf(statement).filter((action) => action.startsWith('s3:'));
    if (actions.length === 0) continue;
    const kind = actions.some((action) => action.startsWith('s3:GetObject'))
      ? 'read'
      : actions.some((action) => action.startsWith('s3:PutObject'))
        ? 'write'
        : actions.join('+');
    for (const resource of resourcesOf(statement)) {
      const text = JSON.stringify(resource);
      const bucket = text.includes('LakehouseBucket')
        ? 'lakehouse'
        : text.includes('ModelBucket')
          ? 'model'
          : text;
      const prefix = /"\/([a-z]+\/\*)"/.exec(text)?.[1];
      if (prefix !== undefined) access.add(`${bucket} ${prefix} ${kind}`);
      else if (statement.Condition !== undefined)
        access.add(`${bucket} ${kind} ${JSON.stringify(statement.Condition)}`);
    }
  }
  return [...access].sort();
}

function dynamoActions(statements: readonly Statement[]): string[] {
  return statements
    .flatMap(actionsOf)
    .filter((action) => action.startsWith('dynamodb:'))
    .sort();
}

describe('TrainingStack (lambda training)', () => {
  let built: ReturnType<typeof testApp>;
  let template: Template;
  let stateMachine: Resource;
  let substitutions: Record<string, unknown>;

  beforeAll(() => {
    // Nothing is bundled here (nine esbuild runs would dominate the test); the bundle test below
    // builds one training handler the way the pipeline configures it.
    built = testApp({ 'aws:cdk:bundling-stacks': [] });
    template = Template.fromStack(built.training);
    const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as Resource[];
    expect(machines).toHaveLength(1);
    stateMachine = machines[0] as Resource;
    substitutions = stateMachine.Properties.DefinitionSubstitutions as Record<string, unknown>;
  });

  /** A file the assembly staged, by the asset key the template names. */
  const staged = (key: string) => join(built.app.outdir, `asset.${key}`);

  it('passes cdk-nag AwsSolutions with no unsuppressed findings', () => {
    expectNagClean(built.training);
  });

  it('is named for the stage and deploys after the data stack', () => {
    expect(built.training.stackName).toBe(TRAINING_STACK);
    expect(built.training.dependencies).toContain(built.data);
  });

  it('deploys statemachines/train.asl.json itself, with a value for exactly each of its placeholders', () => {
    const location = stateMachine.Properties.DefinitionS3Location as { Key: string };
    expect(location.Key).toMatch(/^[0-9a-f]{64}\.json$/);
    expect(readFileSync(staged(location.Key), 'utf8')).toBe(definitionText);
    expect(stateMachine.Properties.DefinitionString).toBeUndefined();

    expect(Object.keys(substitutions).sort()).toEqual(placeholdersIn(definitionText).sort());
  });

  it('fills each function placeholder with the ARN of its own step function', () => {
    for (const step of STEP_IDS) {
      expect(substitutions[STEPS[step]], step).toEqual({ 'Fn::GetAtt': [functionId(template, step), 'Arn'] });
    }
    // The same placeholders the local cloud serves (local/wiring/training.ts), under the same service names.
    expect(Object.values(STEPS).sort()).toEqual(Object.keys(TRAINING_FUNCTIONS).sort());
    for (const step of STEP_IDS) {
      const environment = (functionOf(template, step).Properties.Environment as { Variables: object })
        .Variables as Record<string, string>;
      expect(environment.POWERTOOLS_SERVICE_NAME, step).toBe(TRAINING_FUNCTIONS[STEPS[step]]);
    }
  });

  it('gives the SageMaker placeholders inert values, and names the buckets and the default bus', () => {
    expect(substitutions.TrainingImageUri).toBe('none');
    expect(substitutions.SageMakerRoleArn).toBe('none');
    expect(substitutions.TrainingInstanceType).toBe('none');
    expect(substitutions.EventBusName).toBe('default');
    expect(JSON.stringify(substitutions.LakehouseBucketName)).toContain('LakehouseBucket');
    expect(JSON.stringify(substitutions.ModelBucketName)).toContain('ModelBucket');
  });

  it('runs a Standard state machine with X-Ray and all events logged, without execution data', () => {
    expect(stateMachine.Properties).toMatchObject({
      StateMachineName: 'churn-radar-dev-train',
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/vendedlogs/states/churn-radar-dev-train',
      RetentionInDays: 30,
    });
  });

  it('lets the state machine invoke every step function, put events on the bus and run its Distributed Map', () => {
    const role = (stateMachine.Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statements = statementsOfRole(template, role);
    const invoked = statements
      .filter((statement) => actionsOf(statement).includes('lambda:InvokeFunction'))
      .flatMap(resourcesOf)
      .map((resource) => JSON.stringify(resource));
    for (const step of STEP_IDS)
      expect(invoked).toContain(JSON.stringify({ 'Fn::GetAtt': [functionId(template, step), 'Arn'] }));

    const arnOf = (action: string) =>
      JSON.stringify(statements.find((statement) => actionsOf(statement).includes(action))?.Resource);
    expect(arnOf('events:PutEvents')).toContain(':event-bus/default');
    expect(arnOf('states:StartExecution')).toContain(':stateMachine:churn-radar-dev-train"');
    expect(arnOf('states:DescribeExecution')).toContain(':execution:churn-radar-dev-train/*');
    expect(arnOf('states:StopExecution')).toContain(':execution:churn-radar-dev-train/*');
    expect(statements.flatMap(actionsOf).filter((action) => action.startsWith('sagemaker:'))).toEqual([]);
  });

  it('starts a run on the configured schedule with {"trigger":"schedule"}, with retries and a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(7 days)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { Ref: Match.stringLikeRegexp('^TrainingPipelineStateMachine') },
          Input: '{"trigger":"schedule"}',
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 21_600 },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TrainingPipelineTriggerDeadLetterQueue'), 'Arn'] },
          },
        }),
      ],
    });
  });

  it('starts a run with {"trigger":"drift"} when a drift or quality alarm of the stage goes to ALARM', () => {
    const rules = (Object.values(template.findResources('AWS::Events::Rule')) as Resource[]).filter(
      (rule) => rule.Properties.EventPattern !== undefined,
    );
    expect(rules).toHaveLength(1);
    const rule = rules[0] as Resource;
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: {
        alarmName: [{ prefix: 'churn-radar-dev-drift' }, { prefix: 'churn-radar-dev-quality' }],
        state: { value: ['ALARM'] },
      },
    });
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({
        Input: '{"trigger":"drift"}',
        RetryPolicy: expect.objectContaining({ MaximumRetryAttempts: 8 }),
        DeadLetterConfig: expect.objectContaining({ Arn: expect.anything() }),
      }),
    ]);
  });

  it('encrypts the trigger dead-letter queue and refuses it plain HTTP', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
          }),
        ]),
      },
    });
  });

  it('alarms on any failed or timed-out run within 5 minutes', () => {
    for (const [name, metric] of [
      ['churn-radar-dev-training-failed', 'ExecutionsFailed'],
      ['churn-radar-dev-training-timed-out', 'ExecutionsTimedOut'],
    ]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: name,
        Namespace: 'AWS/States',
        MetricName: metric,
        Dimensions: [
          {
            Name: 'StateMachineArn',
            Value: { Ref: Match.stringLikeRegexp('^TrainingPipelineStateMachine') },
          },
        ],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
    expect(built.training.pipeline.failedAlarm).toBeDefined();
    expect(built.training.pipeline.timedOutAlarm).toBeDefined();
  });

  it('alarms when a trigger lands in the dead-letter queue, so a missed retraining is seen', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'churn-radar-dev-training-trigger-undelivered',
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: {
            'Fn::GetAtt': [Match.stringLikeRegexp('^TrainingPipelineTriggerDeadLetterQueue'), 'QueueName'],
          },
        },
      ],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('sizes each step for its work', () => {
    const sizes = Object.fromEntries(
      STEP_IDS.map((step) => {
        const { MemorySize, Timeout } = functionOf(template, step).Properties;
        return [step, `${MemorySize} MB, ${Timeout} s`];
      }),
    );
    expect(sizes).toEqual({
      Plan: '512 MB, 120 s',
      Snapshot: '3008 MB, 900 s',
      WriteManifests: '512 MB, 60 s',
      TrainComponent: '10240 MB, 900 s',
      Stack: '10240 MB, 900 s',
      Gate: '512 MB, 60 s',
      Register: '512 MB, 120 s',
      SetAlias: '512 MB, 60 s',
      RecordOutcome: '512 MB, 60 s',
    });
  });

  it('gives each step only the variables its code reads, and the plan the gate, mode and code version', () => {
    const house = new Set([
      'NODE_OPTIONS',
      'POWERTOOLS_SERVICE_NAME',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_LOG_LEVEL',
    ]);
    const variables = Object.fromEntries(
      STEP_IDS.map((step) => {
        const environment = (functionOf(template, step).Properties.Environment as { Variables: object })
          .Variables as Record<string, unknown>;
        return [
          step,
          Object.keys(environment)
            .filter((name) => !house.has(name))
            .sort(),
        ];
      }),
    );
    expect(variables).toEqual({
      Plan: ['CODE_VERSION', 'LAKEHOUSE_BUCKET', 'MODEL_BUCKET', 'TRAINING_GATE', 'TRAINING_MODE'],
      Snapshot: ['LAKEHOUSE_BUCKET'],
      WriteManifests: ['LAKEHOUSE_BUCKET'],
      TrainComponent: ['LAKEHOUSE_BUCKET', 'MODEL_BUCKET'],
      Stack: ['LAKEHOUSE_BUCKET', 'MODEL_BUCKET', 'OPERATIONS_TABLE'],
      Gate: [],
      Register: ['MODEL_BUCKET', 'OPERATIONS_TABLE'],
      SetAlias: ['MODEL_BUCKET', 'OPERATIONS_TABLE'],
      RecordOutcome: ['OPERATIONS_TABLE'],
    });

    const plan = (
      functionOf(template, 'Plan').Properties.Environment as { Variables: Record<string, string> }
    ).Variables;
    // What the plan step parses it with (functions/train/handlers/plan.ts): same keys, nothing dropped.
    expect(GatePolicy.parse(JSON.parse(plan.TRAINING_GATE ?? ''))).toEqual({
      minRocAuc: 0.7,
      minPrecision: 0.2,
      minRecall: 0.2,
      maxAucDropVsChampion: 0.005,
    });
    expect(plan.TRAINING_MODE).toBe('lambda');
    expect(plan.CODE_VERSION).toBe('churn-radar@0.1.0');
  });

  it('grants each step only the key prefixes and table access it uses', () => {
    const access = Object.fromEntries(
      STEP_IDS.map((step) => [step, s3Access(statementsOfStep(template, step))]),
    );
    expect(access).toEqual({
      Plan: ['lakehouse s3:ListBucket {"StringLike":{"s3:prefix":["raw/*"]}}', 'model runs/* write'],
      Snapshot: [
        'lakehouse labels/* read',
        'lakehouse profiles/* read',
        'lakehouse raw/* read',
        'lakehouse snapshots/* write',
      ],
      WriteManifests: ['lakehouse snapshots/* write'],
      TrainComponent: ['lakehouse snapshots/* read', 'model runs/* write'],
      Stack: ['lakehouse snapshots/* read', 'model models/* read', 'model runs/* read', 'model runs/* write'],
      Gate: [],
      Register: ['model models/* read', 'model models/* write', 'model runs/* read'],
      SetAlias: ['model models/* read', 'model registry/* write'],
      RecordOutcome: [],
    });

    const dynamo = Object.fromEntries(
      STEP_IDS.map((step) => [step, dynamoActions(statementsOfStep(template, step))]),
    );
    for (const step of ['Plan', 'Snapshot', 'WriteManifests', 'TrainComponent', 'Gate'] as const) {
      expect(dynamo[step], step).toEqual([]);
    }
    expect(dynamo.Stack).toContain('dynamodb:GetItem');
    expect(dynamo.Stack).not.toContain('dynamodb:PutItem');
    expect(dynamo.Register).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem']));
    expect(dynamo.Register).not.toContain('dynamodb:GetItem');
    expect(dynamo.SetAlias).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem']));
    expect(dynamo.RecordOutcome).toEqual(expect.arrayContaining(['dynamodb:PutItem']));
    expect(dynamo.RecordOutcome).not.toContain('dynamodb:GetItem');
  });

  it('has no s3:* action and no Resource "*" beyond the X-Ray and log-delivery actions that need it', () => {
    const statements = (Object.values(template.findResources('AWS::IAM::Policy')) as Resource[]).flatMap(
      (policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
    );
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      expect(actionsOf(statement)).not.toContain('s3:*');
      expect(actionsOf(statement)).not.toContain('*');
      if (resourcesOf(statement).includes('*')) {
        for (const action of actionsOf(statement)) expect(action).toMatch(/^(xray|logs):/);
      }
    }
  });

  it('copies the TensorFlow.js wasm binaries beside the bundles that train or score, and only those', () => {
    const { functions } = built.training.pipeline;
    const tensorflow: readonly StepId[] = ['TrainComponent', 'Stack'];
    for (const step of STEP_IDS) {
      const fn = functions[STEPS[step]];
      const trainsOrScores = tensorflow.includes(step);
      expect(fn.bundleFiles, step).toEqual(trainsOrScores ? [TFJS_WASM_FILES] : []);
      expect(fn.commonJsPaths, step).toBe(trainsOrScores);
    }
  });
});

describe('ServiceFunction with the TensorFlow.js wasm backend', () => {
  it('bundles a training handler with the wasm binaries beside it and __dirname defined', () => {
    // Bundled even where the environment (CDK_CONTEXT_JSON) turns bundling off for the other tests.
    const app = new App({ postCliContext: { 'aws:cdk:bundling-stacks': ['**'] } });
    const stack = new Stack(app, 'WasmBundle');
    new ServiceFunction(stack, 'TrainComponent', {
      entry: 'functions/train/handlers/train-component.ts',
      description: 'bundle check',
      serviceName: 'train-component',
      logRetention: RetentionDays.ONE_DAY,
      bundleFiles: [TFJS_WASM_FILES],
      commonJsPaths: true,
      externalModules: ['@tensorflow/tfjs-node'],
    });
    const code = Object.values(
      Template.fromStack(stack).findResources('AWS::Lambda::Function'),
    )[0] as Resource;
    const bundle = join(
      app.outdir,
      `asset.${(code.Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '')}`,
    );

    const wasmFiles = readdirSync('node_modules/@tensorflow/tfjs-backend-wasm/dist')
      .filter((file) => file.endsWith('.wasm'))
      .sort();
    expect(wasmFiles).toContain('tfjs-backend-wasm-simd.wasm');
    expect(
      readdirSync(bundle)
        .filter((file) => file.endsWith('.wasm'))
        .sort(),
    ).toEqual(wasmFiles);
    // ml/models/tf-runtime.ts looks for the binaries beside the module; the wasm backend's
    // CommonJS loader reads __dirname, which an ESM bundle lacks unless it is defined.
    const source = readFileSync(join(bundle, 'index.mjs'), 'utf8');
    expect(source).toContain('import.meta.dirname');
    expect(source).not.toMatch(/from\s*["']@tensorflow\/tfjs-node["']/);
  });

  it('refuses a bundle file outside the project or with shell characters', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
    for (const file of ['../secrets/*.pem', '/etc/passwd', 'dist/*.wasm; rm -rf /']) {
      expect(
        () =>
          new ServiceFunction(stack, `Bad${file.length}`, {
            entry: 'test/fixtures/functions/echo.ts',
            description: 'x',
            serviceName: 'x',
            logRetention: RetentionDays.ONE_DAY,
            bundleFiles: [file],
          }),
      ).toThrow(/bundleFiles entry .* must be a path relative to the project root/);
    }
  });
});

function restoreVariable(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

describe('TrainingStack (sagemaker training)', () => {
  let built: ReturnType<typeof testApp>;
  let template: Template;
  let substitutions: Record<string, unknown>;
  let stateMachineStatements: Statement[];

  beforeAll(() => {
    // No function is bundled: this synth is about the SageMaker parts. With an explicit account
    // and region (as `cdk synth` has them), ARNs carry literals where the other synth has tokens.
    const saved = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
    process.env.CDK_DEFAULT_ACCOUNT = '123456789012';
    process.env.CDK_DEFAULT_REGION = 'eu-west-1';
    try {
      built = testApp({ training: 'sagemaker', 'aws:cdk:bundling-stacks': [] });
    } finally {
      restoreVariable('CDK_DEFAULT_ACCOUNT', saved.account);
      restoreVariable('CDK_DEFAULT_REGION', saved.region);
    }
    template = Template.fromStack(built.training);
    const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0] as Resource;
    substitutions = machine.Properties.DefinitionSubstitutions as Record<string, unknown>;
    const role = (machine.Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    stateMachineStatements = statementsOfRole(template, role);
  });

  const sageMakerRoleId = () => {
    const roles = template.findResources('AWS::IAM::Role', {
      Properties: {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'sagemaker.amazonaws.com' } })],
        },
      },
    });
    expect(Object.keys(roles)).toHaveLength(1);
    return Object.keys(roles)[0] as string;
  };

  it('passes cdk-nag AwsSolutions with no unsuppressed findings', () => {
    expectNagClean(built.training);
  });

  it('builds the training image from the repository root with training/Dockerfile, for x86-64', () => {
    const artifact = built.app.synth().getStackArtifact(built.training.artifactId);
    const assetsFile = join(built.app.outdir, `${built.training.artifactId}.assets.json`);
    expect(existsSync(assetsFile)).toBe(true);
    const images = Object.values(
      (JSON.parse(readFileSync(assetsFile, 'utf8')) as { dockerImages: Record<string, { source: object }> })
        .dockerImages,
    ).map((image) => image.source as { directory: string; dockerFile?: string; platform?: string });
    expect(images).toHaveLength(1);
    const image = images[0] as { directory: string; dockerFile?: string; platform?: string };
    expect(image).toMatchObject({ dockerFile: 'training/Dockerfile', platform: 'linux/amd64' });
    // The staged context holds the code and the lock file, not node_modules or the assembly.
    const context = join(built.app.outdir, image.directory);
    const entries = readdirSync(context).sort();
    expect(entries).toEqual(
      expect.arrayContaining(['functions', 'infra', 'ml', 'package-lock.json', 'package.json', 'training']),
    );
    expect(entries).not.toContain('node_modules');
    expect(entries).not.toContain('cdk.out');
    expect(entries).not.toContain('local');
    expect(readdirSync(join(context, 'infra'))).toEqual(['resources.ts']);
    expect(existsSync(join(context, 'functions/train/sagemaker-entry.ts'))).toBe(true);
    expect(artifact.stackName).toBe(TRAINING_STACK);
  });

  it('fills the SageMaker placeholders with the image, the role and the configured instance type', () => {
    expect(JSON.stringify(substitutions.TrainingImageUri)).toContain('.dkr.ecr.');
    expect(substitutions.SageMakerRoleArn).toEqual({ 'Fn::GetAtt': [sageMakerRoleId(), 'Arn'] });
    expect(substitutions.TrainingInstanceType).toBe('ml.m5.2xlarge');
    expect(Object.keys(substitutions).sort()).toEqual(placeholdersIn(definitionText).sort());
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TRAINING_MODE: 'sagemaker' }) },
    });
  });

  it('lets the state machine run training jobs and pass only the SageMaker role, only to SageMaker', () => {
    const find = (action: string) =>
      stateMachineStatements.filter((statement) => actionsOf(statement).includes(action));
    for (const action of [
      'sagemaker:CreateTrainingJob',
      'sagemaker:DescribeTrainingJob',
      'sagemaker:StopTrainingJob',
      'sagemaker:AddTags',
    ]) {
      const statements = find(action);
      expect(statements, action).toHaveLength(1);
      expect(JSON.stringify(statements[0]?.Resource)).toContain(':eu-west-1:123456789012:training-job/*');
    }
    const passRole = find('iam:PassRole');
    expect(passRole).toEqual([
      {
        Action: 'iam:PassRole',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [sageMakerRoleId(), 'Arn'] },
        Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      },
    ]);
    for (const action of ['events:PutTargets', 'events:PutRule', 'events:DescribeRule']) {
      expect(JSON.stringify(find(action)[0]?.Resource), action).toContain(
        ':rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule',
      );
    }
  });

  it('lets training jobs read snapshots, read and write runs/, and pull the image', () => {
    const statements = statementsOfRole(template, sageMakerRoleId());
    expect(s3Access(statements)).toEqual([
      'lakehouse snapshots/* read',
      'model runs/* read',
      'model runs/* write',
    ]);
    const actions = statements.flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['ecr:BatchGetImage', 'ecr:GetAuthorizationToken']));
    expect(actions.filter((action) => action.startsWith('dynamodb:'))).toEqual([]);
  });
});

describe('TrainingPipeline', () => {
  const importedResources = () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
    return {
      stack,
      lakehouseBucket: Bucket.fromBucketName(stack, 'Lake', 'lake'),
      modelBucket: Bucket.fromBucketName(stack, 'Models', 'models'),
      operationsTable: Table.fromTableName(stack, 'Operations', 'operations'),
    };
  };
  const baseProps = {
    stage: 'dev',
    logRetention: RetentionDays.ONE_WEEK,
    gate: { minRocAuc: 0.7, minPrecision: 0.2, minRecall: 0.2, maxAucDropVsChampion: 0.005 },
    retrainSchedule: 'rate(7 days)',
    codeVersion: 'test',
  };

  it('refuses an ASL file whose placeholders it does not fill, naming them', () => {
    const directory = mkdtempSync(join(tmpdir(), 'churn-radar-asl-'));
    const file = join(directory, 'train.asl.json');
    const placeholder = (name: string) => `\${${name}}`;
    writeFileSync(
      file,
      definitionText.replace(placeholder('GateFunctionArn'), placeholder('ScoreGateFunctionArn')),
    );
    const { stack, ...resources } = importedResources();
    expect(
      () => new TrainingPipeline(stack, 'Pipeline', { ...baseProps, ...resources, definitionFile: file }),
    ).toThrow(
      /placeholders without a value: ScoreGateFunctionArn; substitutions the file does not use: GateFunctionArn/,
    );
  });

  it('refuses a gate value outside 0..1, naming the key', () => {
    const { stack, ...resources } = importedResources();
    expect(
      () =>
        new TrainingPipeline(stack, 'Pipeline', {
          ...baseProps,
          ...resources,
          gate: { ...baseProps.gate, minRecall: 2 },
        }),
    ).toThrow(/TrainingPipeline Pipeline: gate\.minRecall must be a number between 0 and 1/);
  });
});

describe('training configuration', () => {
  const fromContext = (context: Record<string, unknown>) => (key: string) => context[key];

  it('defaults the gate and the SageMaker instance type', () => {
    const config = loadConfig(fromContext({}));
    expect(config.training).toBe('lambda');
    expect(config.trainingPipeline).toEqual({
      gate: { minRocAuc: 0.7, minPrecision: 0.2, minRecall: 0.2, maxAucDropVsChampion: 0.005 },
      sagemakerInstanceType: 'ml.m5.2xlarge',
    });
    expect(config.codeVersion).toBeUndefined();
  });

  it('names the key of a bad gate value, instance type or unknown gate key', () => {
    const read = fromContext({
      'churn-radar': {
        trainingPipeline: { gate: { minPrecision: 1.5, minAuc: 0.8 }, sagemakerInstanceType: 'm5.large' },
      },
    });
    expect(() => loadConfig(read)).toThrow(
      /churn-radar\.trainingPipeline\.gate\.minPrecision: expected a precision between 0 and 1/,
    );
    expect(() => loadConfig(read)).toThrow(/churn-radar\.trainingPipeline\.gate: .*minAuc/);
    expect(() => loadConfig(read)).toThrow(
      /churn-radar\.trainingPipeline\.sagemakerInstanceType: expected a SageMaker training instance type/,
    );
  });

  it('keeps a command-line code version as text, leading zeros and all', () => {
    expect(loadConfig(fromContext({ codeVersion: '0123456' })).codeVersion).toBe('0123456');
  });
});
