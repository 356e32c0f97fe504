import {
  type ApiGatewayLogger,
  type ApiRoute,
  type RunningApi,
  startApiGateway,
} from './cloud/api-gateway.js';
import { LocalIdentity } from './cloud/identity.js';
import type { KinesisEventSourceMapping, MappingLogger } from './cloud/kinesis-event-source.js';
import {
  type LocalCloud,
  type LocalCloudOptions,
  startLocalCloud,
  useLocalCloudEnv,
} from './cloud/local-cloud.js';
import { loadProductHandlers, localRoutes } from './routes.js';
import { featureProcessorMapping, loadFeatureProcessorHandler } from './wiring/feature-processor.js';

export interface LocalPlatformOptions extends LocalCloudOptions {
  /** Port of the API stand-in; 0 picks a free one. @default 0 */
  readonly apiPort?: number;
  /** Progress lines while starting. */
  readonly log?: (line: string) => void;
  /** Access and error log of the API stand-in. @default JSON lines on stdout and stderr */
  readonly apiLogger?: ApiGatewayLogger;
  /** Run the feature processor on the event stream. @default true */
  readonly featureProcessor?: boolean;
  /** What the event-source mapping reports (retries, poison batches). @default warnings to stderr */
  readonly mappingLogger?: MappingLogger;
}

/**
 * Everything `churn local up`, `npm start` and the integration tests run: the emulated
 * services with their resources, the local user pool and the API stand-in serving the
 * product's routes. Later features add their event-source mappings and state machines here.
 */
export interface LocalPlatform {
  readonly cloud: LocalCloud;
  readonly identity: LocalIdentity;
  readonly api: RunningApi;
  readonly routes: readonly ApiRoute[];
  /** The event-source mapping feeding the feature processor, when it runs. */
  readonly featureProcessor?: KinesisEventSourceMapping;
  stop(): Promise<void>;
}

export async function startLocalPlatform(options: LocalPlatformOptions = {}): Promise<LocalPlatform> {
  const log = options.log ?? (() => undefined);
  log('starting Kinesis, DynamoDB and S3 emulators');
  const cloud = await startLocalCloud(options);
  let restoreEnv: () => void = () => undefined;
  let mapping: KinesisEventSourceMapping | undefined;
  try {
    // Handlers read their configuration at cold start, as in Lambda: set it before loading them.
    restoreEnv = useLocalCloudEnv(cloud, {
      POWERTOOLS_SERVICE_NAME: process.env.POWERTOOLS_SERVICE_NAME ?? 'churn-radar-local',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      // EMF lines on every invocation would bury the CLI's output; CHURN_METRICS=1 shows them.
      POWERTOOLS_METRICS_DISABLED: process.env.CHURN_METRICS === '1' ? 'false' : 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
      ALLOWED_LATENESS_HOURS: process.env.ALLOWED_LATENESS_HOURS ?? String(24 * 400),
    });
    if (options.featureProcessor ?? true) {
      log('starting the feature processor on the event stream');
      mapping = featureProcessorMapping(cloud, await loadFeatureProcessorHandler(), {
        logger: options.mappingLogger,
      });
      await mapping.start();
    }
    const identity = await LocalIdentity.load({
      dir: cloud.persistent ? cloud.dataDir : undefined,
      region: cloud.endpoints.region,
    });
    const routes = localRoutes(await loadProductHandlers());
    log('starting the API Gateway + Cognito stand-in');
    const api = await startApiGateway({
      routes,
      identity,
      port: options.apiPort ?? 0,
      logger: options.apiLogger,
    });
    return {
      cloud,
      identity,
      api,
      routes,
      featureProcessor: mapping,
      async stop() {
        await mapping?.stop();
        await api.stop();
        await cloud.stop();
        restoreEnv();
      },
    };
  } catch (error) {
    await mapping?.stop();
    await cloud.stop();
    restoreEnv();
    throw error;
  }
}
