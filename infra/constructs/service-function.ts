import { Duration } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

export interface ServiceFunctionProps {
  /** Path of the handler module, e.g. `functions/score/handler.ts`. */
  readonly entry: string;
  /** What the function does, shown in the console. */
  readonly description: string;
  /** Powertools service name: the `service` of every log line and metric. */
  readonly serviceName: string;
  /** Days the function's log group keeps logs. */
  readonly logRetention: RetentionDays;
  /** Variables beyond the house defaults (resource names, thresholds). */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 1024 */
  readonly memorySize?: number;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** Key that encrypts the log group; AWS-managed encryption when omitted. */
  readonly logKey?: IKey;
  /** Reserved concurrency, to protect downstream stores. @default unreserved */
  readonly reservedConcurrentExecutions?: number;
  /** Metric namespace. @default 'ChurnRadar' */
  readonly metricsNamespace?: string;
  /**
   * Files copied beside the bundled handler once esbuild has run, as paths relative to the project
   * root; `*` globs allowed. For files a dependency loads from disk at run time, such as the
   * WebAssembly binaries of `@tensorflow/tfjs-backend-wasm`. Copied with `cp` on the machine that
   * synthesizes (no Docker); a pattern that matches nothing fails the synth.
   * @default nothing
   */
  readonly bundleFiles?: readonly string[];
  /**
   * Modules left out of the bundle besides the AWS SDK: optional peers imported at run time
   * when present (a layer may provide them).
   * @default none
   */
  readonly externalModules?: readonly string[];
  /**
   * Defines `__dirname` and `__filename` in the ESM bundle (as `import.meta.dirname` and
   * `import.meta.filename`) for CommonJS dependencies that locate files beside themselves. The
   * emscripten loader of `@tensorflow/tfjs-backend-wasm` needs them: without, the wasm backend
   * fails to start and TensorFlow.js silently falls back to its much slower pure-JS CPU backend.
   * @default false
   */
  readonly commonJsPaths?: boolean;
}

/** What `bundleFiles` may contain: a relative path, letters, digits, `@._-/` and `*` (it reaches a shell). */
const BUNDLE_FILE = /^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[A-Za-z0-9@._*/-]+$/;

/**
 * A Lambda function with the house defaults, so feature constructs state only what is
 * theirs: Node.js 24 on ARM64, X-Ray tracing, JSON logs in a log group with retention,
 * an ESM bundle with source maps, and Powertools configured by environment.
 */
export class ServiceFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly logGroup: LogGroup;
  /** What is copied beside the bundled handler (`bundleFiles`). */
  public readonly bundleFiles: readonly string[];
  /** Whether the bundle defines `__dirname` and `__filename` (`commonJsPaths`). */
  public readonly commonJsPaths: boolean;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    if (!props.entry.endsWith('.ts')) {
      throw new Error(`ServiceFunction ${id}: entry must be a TypeScript handler file, got "${props.entry}"`);
    }
    if (props.memorySize !== undefined && (props.memorySize < 128 || props.memorySize > 10_240)) {
      throw new Error(`ServiceFunction ${id}: memorySize must be 128-10240 MB, got ${props.memorySize}`);
    }

    for (const file of props.bundleFiles ?? []) {
      if (!BUNDLE_FILE.test(file)) {
        throw new Error(
          `ServiceFunction ${id}: bundleFiles entry "${file}" must be a path relative to the project root ` +
            '(letters, digits, @ . _ - / and * only, no "..")',
        );
      }
    }
    const bundleFiles = [...(props.bundleFiles ?? [])];
    this.bundleFiles = bundleFiles;
    this.commonJsPaths = props.commonJsPaths === true;

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      encryptionKey: props.logKey,
    });

    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      // Node.js 22 reaches end of life in April 2027; 24 is the current LTS on Lambda.
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: Tracing.ACTIVE,
      loggingFormat: LoggingFormat.JSON,
      logGroup: this.logGroup,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace ?? 'ChurnRadar',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        // ESM bundles have no `require`; some dependencies still call it.
        banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
        externalModules: ['@aws-sdk/*', ...(props.externalModules ?? [])],
        ...(this.commonJsPaths
          ? { define: { __dirname: 'import.meta.dirname', __filename: 'import.meta.filename' } }
          : {}),
        ...(bundleFiles.length === 0
          ? {}
          : {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) =>
                  bundleFiles.map((file) => `cp "${inputDir}"/${file} "${outputDir}"/`),
              },
            }),
      },
    });

    NagSuppressions.addResourceSuppressions(
      this.function,
      [
        {
          id: 'AwsSolutions-IAM4',
          reason:
            'AWSLambdaBasicExecutionRole only allows writing the function its own logs; it is the AWS-recommended minimum.',
          appliesTo: [
            'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
          ],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.',
          appliesTo: ['Resource::*'],
        },
      ],
      true,
    );
  }
}
