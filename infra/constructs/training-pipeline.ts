import { readFileSync } from 'node:fs';
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { DockerImageAsset, Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { EventBus, type IEventBus, Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { lakehouseBucket, modelBucket, operationsTable } from '../resources.js';
import { ServiceFunction } from './service-function.js';

/** Floors a challenger must clear, and how much worse than the champion it may be (`GatePolicy` in functions/train). */
export interface TrainingGate {
  readonly minRocAuc: number;
  readonly minPrecision: number;
  readonly minRecall: number;
  readonly maxAucDropVsChampion: number;
}

export interface TrainingPipelineProps {
  /** Names the state machine, its alarms and the alarms that trigger retraining. */
  readonly stage: string;
  /** Raw events, profiles and labels are read from it; snapshots are written to it. */
  readonly lakehouseBucket: IBucket;
  /** Run files (`runs/`), registered models (`models/`) and the alias mirror (`registry/`). */
  readonly modelBucket: IBucket;
  /** Model registry aliases and version claims, and the run records. */
  readonly operationsTable: ITable;
  /** Days the functions' and the state machine's logs are kept. */
  readonly logRetention: RetentionDays;
  /** The promotion gate, passed to the plan step as `TRAINING_GATE`; a request may tighten or relax it per run. */
  readonly gate: TrainingGate;
  /** EventBridge schedule expression of the periodic retraining, e.g. `rate(7 days)`. */
  readonly retrainSchedule: string;
  /** Recorded in each model's lineage as the code that trained it. */
  readonly codeVersion: string;
  /**
   * Where the components (GBDT, sequence, graph) train. The rule of thumb: Lambda while one
   * component trains within ~10 GB of memory and 15 minutes; beyond that, `sagemaker` runs the
   * same TypeScript code as SageMaker training jobs in a container built from `training/Dockerfile`.
   * @default 'lambda'
   */
  readonly mode?: 'lambda' | 'sagemaker';
  /** Instance type of the SageMaker training jobs (sagemaker mode only). @default 'ml.m5.2xlarge' */
  readonly sagemakerInstanceType?: string;
  /** Where the outcome events (ModelPromoted, ChallengerRejected, TrainingFailed) go. @default the account's default bus */
  readonly eventBus?: IEventBus;
  /** The ASL file; every `${Placeholder}` in it must be one this construct fills. @default 'statemachines/train.asl.json' */
  readonly definitionFile?: string;
  /** Docker build context of the training image, the repository root. @default '.' */
  readonly repositoryRoot?: string;
  /** What happens to the execution log group when the stack is deleted. @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** Step functions of the state machine, keyed by the placeholder that names them in the ASL file. */
export type TrainingStepPlaceholder =
  | 'PlanTrainingFunctionArn'
  | 'SnapshotFunctionArn'
  | 'WriteManifestsFunctionArn'
  | 'TrainComponentFunctionArn'
  | 'StackFunctionArn'
  | 'GateFunctionArn'
  | 'RegisterFunctionArn'
  | 'SetAliasFunctionArn'
  | 'RecordOutcomeFunctionArn';

interface StepSpec {
  readonly id: string;
  readonly entry: string;
  /** Powertools service; the same name as the local cloud's function (local/wiring/training.ts). */
  readonly serviceName: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  /** Needs the TensorFlow.js WebAssembly binaries beside its bundle (it trains or scores models). */
  readonly tensorflow?: boolean;
}

const TRAIN_HANDLERS = 'functions/train/handlers';

const STEPS: Readonly<Record<TrainingStepPlaceholder, StepSpec>> = {
  PlanTrainingFunctionArn: {
    id: 'Plan',
    entry: `${TRAIN_HANDLERS}/plan.ts`,
    serviceName: 'train-plan',
    description: 'Training: plans a run (cut-offs with settled labels, version, snapshot items)',
    memorySize: 512,
    // Probes raw/ day by day backwards: one listing when the data is current, hundreds when it is not.
    timeout: Duration.minutes(2),
  },
  SnapshotFunctionArn: {
    id: 'Snapshot',
    entry: 'functions/snapshot/handler.ts',
    serviceName: 'snapshot',
    description: 'Training: point-in-time features and labels of one cut-off and customer hash bucket',
    memorySize: 3008,
    timeout: Duration.minutes(15),
  },
  WriteManifestsFunctionArn: {
    id: 'WriteManifests',
    entry: `${TRAIN_HANDLERS}/write-manifests.ts`,
    serviceName: 'train-write-manifests',
    description: 'Training: writes each snapshot manifest once all its buckets are built',
    memorySize: 512,
    timeout: Duration.minutes(1),
  },
  TrainComponentFunctionArn: {
    id: 'TrainComponent',
    entry: `${TRAIN_HANDLERS}/train-component.ts`,
    serviceName: 'train-component',
    description: 'Training: trains one component (GBDT, sequence or graph) with its folds and refit',
    memorySize: 10_240,
    timeout: Duration.minutes(15),
    tensorflow: true,
  },
  StackFunctionArn: {
    id: 'Stack',
    entry: `${TRAIN_HANDLERS}/stack.ts`,
    serviceName: 'train-stack',
    description:
      'Training: stacks and calibrates the components, scores candidate and champion on the holdout',
    memorySize: 10_240,
    timeout: Duration.minutes(15),
    tensorflow: true,
  },
  GateFunctionArn: {
    id: 'Gate',
    entry: `${TRAIN_HANDLERS}/gate.ts`,
    serviceName: 'train-gate',
    description: 'Training: floors and the champion comparison, with reasons',
    memorySize: 512,
    timeout: Duration.minutes(1),
  },
  RegisterFunctionArn: {
    id: 'Register',
    entry: `${TRAIN_HANDLERS}/register.ts`,
    serviceName: 'train-register',
    description: 'Training: registers the candidate as an immutable model version',
    memorySize: 512,
    timeout: Duration.minutes(2),
  },
  SetAliasFunctionArn: {
    id: 'SetAlias',
    entry: `${TRAIN_HANDLERS}/set-alias.ts`,
    serviceName: 'train-set-alias',
    description: 'Training: points the champion or challenger alias at the new version',
    memorySize: 512,
    timeout: Duration.minutes(1),
  },
  RecordOutcomeFunctionArn: {
    id: 'RecordOutcome',
    entry: `${TRAIN_HANDLERS}/record-outcome.ts`,
    serviceName: 'train-record-outcome',
    description: 'Training: records the run outcome (promoted, rejected, failed) in the operations table',
    memorySize: 512,
    timeout: Duration.minutes(1),
  },
};

/** The wasm backend's binaries, loaded from beside the bundled module (ml/models/tf-runtime.ts). */
const TFJS_WASM_FILES = 'node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm';
/** Optional native backend (an optional peer, absent here): imported at run time only when present. */
const TFJS_NODE = '@tensorflow/tfjs-node';
/** Substituted where the SageMaker states need a value but lambda mode never reaches them. */
const INERT = 'none';
/** The rule Step Functions manages to learn when a `.sync` training job ends. */
const SAGEMAKER_SYNC_RULE = 'StepFunctionsGetEventsForSageMakerTrainingJobsRule';
const PLACEHOLDER = /\$\{([^{}]*)\}/g;
/** Placeholders of the ASL file besides the step functions. */
const RESOURCE_PLACEHOLDERS = [
  'LakehouseBucketName',
  'ModelBucketName',
  'EventBusName',
  'TrainingImageUri',
  'SageMakerRoleArn',
  'TrainingInstanceType',
] as const;

/**
 * The training and retraining pipeline: one Lambda function per step of
 * `statemachines/train.asl.json` (snapshot, train the components, stack and evaluate, gate,
 * register, promote, record), the Standard state machine that runs them, the weekly schedule
 * and the drift/quality alarm trigger that start it, and alarms on failed or timed-out runs.
 *
 * Each function gets only its step's variables and permissions. With `mode: 'sagemaker'` the
 * three component states run as SageMaker training jobs of a container built from
 * `training/Dockerfile` instead (the state machine's Choice reads the plan's `trainingMode`,
 * which the plan step takes from `TRAINING_MODE`); everything else stays on Lambda.
 *
 * When to switch to SageMaker. The rule: Lambda: up to ~10 GB of memory and 15 minutes per
 * component (train-component runs at 10,240 MB, Lambda's maximum, with ~6 vCPUs). A component
 * that needs more memory or time than that, or whose Lambda run is close to either limit, trains
 * on SageMaker (`training: "sagemaker"` in cdk.json, instance type in
 * `trainingPipeline.sagemakerInstanceType`). The stack step still runs on Lambda in both modes,
 * so it must fit the same limits.
 */
export class TrainingPipeline extends Construct {
  public readonly stateMachine: StateMachine;
  /** The step functions, by the placeholder that names them in the ASL file. */
  public readonly functions: Readonly<Record<TrainingStepPlaceholder, ServiceFunction>>;
  public readonly executionLogs: LogGroup;
  public readonly scheduleRule: Rule;
  public readonly driftRule: Rule;
  /** Trigger events EventBridge could not deliver to the state machine. */
  public readonly triggerDeadLetterQueue: Queue;
  /** ExecutionsFailed >= 1 in 5 minutes. */
  public readonly failedAlarm: Alarm;
  /** ExecutionsTimedOut >= 1 in 5 minutes. */
  public readonly timedOutAlarm: Alarm;
  /** A trigger (schedule or alarm) EventBridge gave up delivering: a retraining that never started. */
  public readonly undeliveredTriggerAlarm: Alarm;
  /** SageMaker mode only: the training container image and the role its jobs run as. */
  public readonly trainingImage?: DockerImageAsset;
  public readonly sageMakerRole?: Role;
  /** The bus the outcome events go to. */
  public readonly eventBus: IEventBus;

  constructor(scope: Construct, id: string, props: TrainingPipelineProps) {
    super(scope, id);
    const mode = props.mode ?? 'lambda';
    const instanceType = props.sagemakerInstanceType ?? 'ml.m5.2xlarge';
    validateProps(id, props, instanceType);
    const definitionFile = props.definitionFile ?? 'statemachines/train.asl.json';
    checkPlaceholders(id, definitionFile, [...Object.keys(STEPS), ...RESOURCE_PLACEHOLDERS]);
    const name = `churn-radar-${props.stage}`;

    const functions = {} as Record<TrainingStepPlaceholder, ServiceFunction>;
    for (const [placeholder, step] of Object.entries(STEPS) as [TrainingStepPlaceholder, StepSpec][]) {
      functions[placeholder] = new ServiceFunction(this, step.id, {
        entry: step.entry,
        description: step.description,
        serviceName: step.serviceName,
        logRetention: props.logRetention,
        memorySize: step.memorySize,
        timeout: step.timeout,
        environment: this.environmentOf(placeholder, props, mode),
        externalModules: [TFJS_NODE],
        ...(step.tensorflow === true ? { bundleFiles: [TFJS_WASM_FILES], commonJsPaths: true } : {}),
      });
    }
    this.functions = functions;
    this.grantSteps(props);

    this.eventBus = props.eventBus ?? EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    if (mode === 'sagemaker') {
      this.trainingImage = new DockerImageAsset(this, 'TrainingImage', {
        directory: props.repositoryRoot ?? '.',
        file: 'training/Dockerfile',
        // SageMaker's ml.* training instances are x86-64.
        platform: Platform.LINUX_AMD64,
      });
      this.sageMakerRole = this.createSageMakerRole(props, this.trainingImage);
    }

    const resourceValues: Record<(typeof RESOURCE_PLACEHOLDERS)[number], string> = {
      LakehouseBucketName: props.lakehouseBucket.bucketName,
      ModelBucketName: props.modelBucket.bucketName,
      EventBusName: this.eventBus.eventBusName,
      TrainingImageUri: this.trainingImage?.imageUri ?? INERT,
      SageMakerRoleArn: this.sageMakerRole?.roleArn ?? INERT,
      TrainingInstanceType: mode === 'sagemaker' ? instanceType : INERT,
    };
    const substitutions: Record<string, string> = {
      ...Object.fromEntries(
        Object.entries(functions).map(([placeholder, fn]) => [placeholder, fn.function.functionArn]),
      ),
      ...resourceValues,
    };

    this.executionLogs = new LogGroup(this, 'ExecutionLogs', {
      // The vendedlogs prefix keeps CloudWatch Logs' resource policy from growing with every machine.
      logGroupName: `/aws/vendedlogs/states/${name}-train`,
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    const stateMachineName = `${name}-train`;
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromFile(definitionFile),
      definitionSubstitutions: substitutions,
      tracingEnabled: true,
      logs: { destination: this.executionLogs, level: LogLevel.ALL, includeExecutionData: false },
    });
    this.grantStateMachine(stateMachineName);

    // Triggers: the schedule, and the drift and quality alarms of the monitoring stack.
    this.triggerDeadLetterQueue = new Queue(this, 'TriggerDeadLetterQueue', {
      // EventBridge can deliver to SSE-SQS queues; the AWS-managed KMS key (aws/sqs) would refuse it.
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const target = (trigger: string) =>
      new SfnStateMachine(this.stateMachine, {
        input: RuleTargetInput.fromObject({ trigger }),
        deadLetterQueue: this.triggerDeadLetterQueue,
        retryAttempts: 8,
        maxEventAge: Duration.hours(6),
      });
    this.scheduleRule = new Rule(this, 'RetrainSchedule', {
      description: `churn-radar ${props.stage}: periodic retraining`,
      schedule: Schedule.expression(props.retrainSchedule),
      targets: [target('schedule')],
    });
    this.driftRule = new Rule(this, 'RetrainOnDrift', {
      description: `churn-radar ${props.stage}: retrain when a drift or model-quality alarm goes off`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: {
          alarmName: [{ prefix: `${name}-drift` }, { prefix: `${name}-quality` }],
          state: { value: ['ALARM'] },
        },
      },
      targets: [target('drift')],
    });

    const period = Duration.minutes(5);
    this.failedAlarm = new Alarm(this, 'FailedAlarm', {
      alarmName: `${name}-training-failed`,
      alarmDescription:
        'A training run failed; its TrainingFailed event and run record (operations table) name the step and the error.',
      metric: this.stateMachine.metricFailed({ period, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.timedOutAlarm = new Alarm(this, 'TimedOutAlarm', {
      alarmName: `${name}-training-timed-out`,
      alarmDescription:
        'A training run hit the state machine timeout (48 h) without recording an outcome: look at its execution history.',
      metric: this.stateMachine.metricTimedOut({ period, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    this.undeliveredTriggerAlarm = new Alarm(this, 'UndeliveredTriggerAlarm', {
      alarmName: `${name}-training-trigger-undelivered`,
      alarmDescription:
        'A retraining trigger could not start the state machine and sits in the dead-letter queue: no run started.',
      metric: this.triggerDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period,
        statistic: 'Maximum',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    this.suppressNagFindings();
  }

  /** Only the variables a step's code reads. */
  private environmentOf(
    placeholder: TrainingStepPlaceholder,
    props: TrainingPipelineProps,
    mode: 'lambda' | 'sagemaker',
  ): Record<string, string> {
    const lakehouse = { [lakehouseBucket.envVar]: props.lakehouseBucket.bucketName };
    const models = { [modelBucket.envVar]: props.modelBucket.bucketName };
    const operations = { [operationsTable.envVar]: props.operationsTable.tableName };
    switch (placeholder) {
      case 'PlanTrainingFunctionArn':
        return {
          ...lakehouse,
          ...models,
          TRAINING_GATE: JSON.stringify(props.gate),
          TRAINING_MODE: mode,
          CODE_VERSION: props.codeVersion,
        };
      case 'SnapshotFunctionArn':
      case 'WriteManifestsFunctionArn':
        return lakehouse;
      case 'TrainComponentFunctionArn':
        return { ...lakehouse, ...models };
      case 'StackFunctionArn':
        return { ...lakehouse, ...models, ...operations };
      case 'GateFunctionArn':
        return {};
      case 'RegisterFunctionArn':
      case 'SetAliasFunctionArn':
        return { ...models, ...operations };
      case 'RecordOutcomeFunctionArn':
        return operations;
    }
  }

  /** Least privilege per step: the prefixes it reads and writes, the table only where it is used. */
  private grantSteps(props: TrainingPipelineProps): void {
    const fn = (placeholder: TrainingStepPlaceholder) => this.functions[placeholder].function;
    const lakehouse = props.lakehouseBucket;
    const models = props.modelBucket;
    const table = props.operationsTable;

    // Plan: only lists raw/ to find where the events end, and saves the plan under runs/.
    fn('PlanTrainingFunctionArn').addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [lakehouse.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['raw/*'] } },
      }),
    );
    models.grantPut(fn('PlanTrainingFunctionArn'), 'runs/*');

    const snapshot = fn('SnapshotFunctionArn');
    lakehouse.grantRead(snapshot, 'raw/*');
    lakehouse.grantRead(snapshot, 'profiles/*');
    lakehouse.grantRead(snapshot, 'labels/*');
    lakehouse.grantPut(snapshot, 'snapshots/*');

    lakehouse.grantPut(fn('WriteManifestsFunctionArn'), 'snapshots/*');

    const trainComponent = fn('TrainComponentFunctionArn');
    lakehouse.grantRead(trainComponent, 'snapshots/*');
    models.grantPut(trainComponent, 'runs/*');

    // Stack: the snapshots, the components' run files, and the champion (aliases in the table, files in models/).
    const stackStep = fn('StackFunctionArn');
    lakehouse.grantRead(stackStep, 'snapshots/*');
    models.grantRead(stackStep, 'runs/*');
    models.grantPut(stackStep, 'runs/*');
    models.grantRead(stackStep, 'models/*');
    table.grantReadData(stackStep);

    // Register: copies the candidate from runs/ to models/ and claims the version in the table.
    const register = fn('RegisterFunctionArn');
    models.grantRead(register, 'runs/*');
    models.grantRead(register, 'models/*');
    models.grantPut(register, 'models/*');
    table.grantWriteData(register);

    // Set alias: checks the version exists, moves the alias conditionally, rewrites the registry/ mirror.
    const setAlias = fn('SetAliasFunctionArn');
    models.grantRead(setAlias, 'models/*');
    models.grantPut(setAlias, 'registry/*');
    table.grantReadWriteData(setAlias);

    table.grantWriteData(fn('RecordOutcomeFunctionArn'));
  }

  /** What the state machine's role may do beyond logging and tracing, which StateMachine grants itself. */
  private grantStateMachine(stateMachineName: string): void {
    const stack = Stack.of(this);
    for (const step of Object.values(this.functions)) step.function.grantInvoke(this.stateMachine);
    this.eventBus.grantPutEventsTo(this.stateMachine);

    // The Distributed Map runs its iterations as child executions of this very state machine. The
    // ARNs are built from the name: referring to the machine's own ARN would be a circular dependency.
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [
          stack.formatArn({
            service: 'states',
            resource: 'stateMachine',
            resourceName: stateMachineName,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [
          stack.formatArn({
            service: 'states',
            resource: 'execution',
            resourceName: `${stateMachineName}/*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );

    if (this.sageMakerRole === undefined) return;
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: [
          'sagemaker:CreateTrainingJob',
          'sagemaker:DescribeTrainingJob',
          'sagemaker:StopTrainingJob',
          'sagemaker:AddTags',
          'sagemaker:ListTags',
        ],
        resources: [stack.formatArn({ service: 'sagemaker', resource: 'training-job', resourceName: '*' })],
      }),
    );
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.sageMakerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      }),
    );
    // `.sync`: Step Functions learns that a job ended through a rule it manages in the account.
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [
          stack.formatArn({ service: 'events', resource: 'rule', resourceName: SAGEMAKER_SYNC_RULE }),
        ],
      }),
    );
  }

  /** The role SageMaker training jobs run as: the train-component step's data access, image pull and job logs. */
  private createSageMakerRole(props: TrainingPipelineProps, image: DockerImageAsset): Role {
    const role = new Role(this, 'SageMakerRole', {
      assumedBy: new ServicePrincipal('sagemaker.amazonaws.com'),
      description: `churn-radar ${props.stage}: SageMaker training jobs of the training pipeline`,
    });
    props.lakehouseBucket.grantRead(role, 'snapshots/*');
    // The plan is read from runs/<id>/plan/, the component's files written to runs/<id>/components/.
    props.modelBucket.grantRead(role, 'runs/*');
    props.modelBucket.grantPut(role, 'runs/*');
    image.repository.grantPull(role);
    role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'logs:DescribeLogStreams',
        ],
        resources: [
          Stack.of(this).formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: '/aws/sagemaker/TrainingJobs:*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    return role;
  }

  private suppressNagFindings(): void {
    const grants = {
      id: 'AwsSolutions-IAM5',
      reason:
        'Scoped by grant helpers to the key prefixes each step reads or writes (raw/, profiles/, labels/, snapshots/ ' +
        'of the lakehouse; runs/, models/, registry/ of the model bucket), the data key of those resources, and the ' +
        "S3 action groups CDK's grants use.",
      appliesTo: [
        { regex: '/^Resource::.*LakehouseBucket.*\\/(raw|profiles|labels|snapshots)\\/\\*$/' },
        { regex: '/^Resource::.*ModelBucket.*\\/(runs|models|registry)\\/\\*$/' },
        { regex: '/^Action::(kms:GenerateDataKey|kms:ReEncrypt)\\*$/' },
        { regex: '/^Action::s3:(Abort|GetBucket|GetObject|List)\\*$/' },
      ],
    };
    for (const step of Object.values(this.functions)) {
      NagSuppressions.addResourceSuppressions(step.function, [grants], true);
    }

    NagSuppressions.addResourceSuppressions(
      this.stateMachine,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Invoking a function includes its versions and aliases (<arn>:*); the Distributed Map describes and stops ' +
            "its own child executions (execution:<machine>/*); SageMaker training jobs are named per run (training-job/*); X-Ray and CloudWatch Logs' " +
            'log delivery actions support no resource-level permissions.',
          appliesTo: [
            { regex: '/^Resource::<TrainingPipeline[A-Za-z0-9]*Function[A-Za-z0-9]*\\.Arn>:\\*$/' },
            {
              regex:
                '/^Resource::arn:<AWS::Partition>:states:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|\\d{12}):execution:churn-radar-[a-z0-9-]+-train\\/\\*$/',
            },
            {
              regex:
                '/^Resource::arn:<AWS::Partition>:sagemaker:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|\\d{12}):training-job\\/\\*$/',
            },
            'Resource::*',
          ],
        },
      ],
      true,
    );

    NagSuppressions.addResourceSuppressions(this.triggerDeadLetterQueue, [
      {
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is itself the dead-letter queue of the retraining rules; it needs none of its own.',
      },
    ]);

    if (this.sageMakerRole !== undefined) {
      NagSuppressions.addResourceSuppressions(
        this.sageMakerRole,
        [
          {
            ...grants,
            reason:
              "Scoped by grant helpers to snapshots/ of the lakehouse and runs/ of the model bucket, with CDK's S3 and " +
              'KMS action groups; training jobs write their logs to /aws/sagemaker/TrainingJobs streams named per job; ' +
              'ecr:GetAuthorizationToken supports no resource-level permissions.',
            appliesTo: [
              ...grants.appliesTo,
              {
                regex:
                  '/^Resource::arn:<AWS::Partition>:logs:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|\\d{12}):log-group:\\/aws\\/sagemaker\\/TrainingJobs:\\*$/',
              },
              'Resource::*',
            ],
          },
        ],
        true,
      );
    }
  }
}

function validateProps(id: string, props: TrainingPipelineProps, instanceType: string): void {
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(props.stage)) {
    throw new Error(
      `TrainingPipeline ${id}: stage must be lower-case letters, digits and dashes, got "${props.stage}"`,
    );
  }
  for (const [key, value] of Object.entries(props.gate)) {
    if (!(typeof value === 'number' && value >= 0 && value <= 1)) {
      throw new Error(
        `TrainingPipeline ${id}: gate.${key} must be a number between 0 and 1, got ${String(value)}`,
      );
    }
  }
  if (props.mode === 'sagemaker' && !/^ml\.[a-z0-9]+\.[a-z0-9]+$/.test(instanceType)) {
    throw new Error(
      `TrainingPipeline ${id}: sagemakerInstanceType must be a SageMaker instance type such as "ml.m5.2xlarge", got "${instanceType}"`,
    );
  }
}

/**
 * Fails the synth when the ASL file's placeholders and the substitutions differ: CloudFormation
 * would leave an unknown `${Name}` in the definition, and an unused substitution means a renamed one.
 */
function checkPlaceholders(id: string, file: string, substituted: readonly string[]): void {
  const text = readFileSync(file, 'utf8');
  const placeholders = new Set(Array.from(text.matchAll(PLACEHOLDER), (match) => match[1] ?? ''));
  const missing = [...placeholders].filter((name) => !substituted.includes(name));
  const unused = substituted.filter((name) => !placeholders.has(name));
  if (missing.length > 0 || unused.length > 0) {
    throw new Error(
      `TrainingPipeline ${id}: ${file} and the construct's substitutions differ` +
        (missing.length > 0 ? `; placeholders without a value: ${missing.join(', ')}` : '') +
        (unused.length > 0 ? `; substitutions the file does not use: ${unused.join(', ')}` : ''),
    );
  }
}
