import {
  type ApiGatewayLogger,
  type ApiRoute,
  type RunningApi,
  startApiGateway,
} from './cloud/api-gateway.js';
import { LocalIdentity } from './cloud/identity.js';
import { type LocalCloud, type LocalCloudOptions, startLocalCloud } from './cloud/local-cloud.js';
import { localRoutes } from './routes.js';

export interface LocalPlatformOptions extends LocalCloudOptions {
  /** Port of the API stand-in; 0 picks a free one. @default 0 */
  readonly apiPort?: number;
  /** Progress lines while starting. */
  readonly log?: (line: string) => void;
  /** Access and error log of the API stand-in. @default JSON lines on stdout and stderr */
  readonly apiLogger?: ApiGatewayLogger;
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
  stop(): Promise<void>;
}

export async function startLocalPlatform(options: LocalPlatformOptions = {}): Promise<LocalPlatform> {
  const log = options.log ?? (() => undefined);
  log('starting Kinesis, DynamoDB and S3 emulators');
  const cloud = await startLocalCloud(options);
  try {
    const identity = await LocalIdentity.load({
      dir: cloud.persistent ? cloud.dataDir : undefined,
      region: cloud.endpoints.region,
    });
    const routes = localRoutes();
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
      async stop() {
        await api.stop();
        await cloud.stop();
      },
    };
  } catch (error) {
    await cloud.stop();
    throw error;
  }
}
