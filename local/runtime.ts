import { appendFileSync, mkdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { ENV, LOCAL_ENV, type LogLevel, TIMING_ENV, type Timings } from '../contract/environment';
import { LIMITS } from '../contract/limits';
import { RATE_LIMIT_FACTOR_ENV } from '../contract/rate-limits';
import {
  AUTHORIZER,
  environmentNames,
  FUNCTIONS,
  type FunctionDefinition,
  type FunctionName,
  functionNameEnvVar,
  ROUTES,
  SCHEDULES,
  STAGE,
  timeoutSecondsOf,
} from '../contract/routes';
import { TABLES } from '../contract/tables';
import type { Clock } from '../lambdas/core/ports';
import { lockDataDir } from './data-lock';
import { type DynamoEngine, type DynamoServer, startDynamo } from './dynamodb';
import { startDynamoGuard } from './dynamodb-guard';
import { bundleFunctions, type FunctionBundle, instantiate } from './functions';
import type { AsyncFailure } from './gateway/async-invocations';
import { type Gateway, type GatewayEvent, type LocalFunction, startGateway } from './gateway/server';
import type { Throttle } from './gateway/types';
import { createLocalIssuer, type LocalIssuer } from './identity';
import { type FunctionCredentials, LocalIam } from './permissions';
import { LOCAL_MEDIA_BUCKET, localTableName, provisionBucket, provisionTables } from './provision';
import { type LocalPushService, startPushService } from './push-service';
import { S3RVER_CREDENTIALS, type S3Server, startS3 } from './s3';
import type { S3RequestEvent } from './s3-guard';
import { startSchedules } from './schedules';
import { collectTelemetry, formatLogRecord, type Telemetry } from './telemetry';
import { LOCAL_VAPID_SUBJECT, loadVapidKeys } from './vapid';

export interface RuntimeOptions {
  /** Port of the gateway (WebSocket, @connections, HTTP); 0 picks a free one. */
  port?: number;
  host?: string;
  /** Folder that keeps tables, objects and the signing key across restarts; in memory when absent. */
  dataDir?: string;
  dynamodb?: DynamoEngine;
  /** Fixed ports for the embedded servers, so that a restart in the same process finds them again. */
  dynamoPort?: number;
  s3Port?: number;
  /** API Gateway's limits and the handlers' timings (heartbeat, presence, typing); tests shorten them. */
  limits?: Partial<Pick<typeof LIMITS, 'idleTimeoutMs' | 'maxConnectionMs' | 'integrationTimeoutMs'>>;
  timings?: Partial<Timings>;
  /**
   * Multiplies every rate limit (RATE_LIMITS); the benchmark raises them, since its few simulated users
   * send far faster than people do.
   * @default 1
   */
  rateLimitFactor?: number;
  /** Intervals of the scheduled functions (SCHEDULES), e.g. `{ sweeper: 200 }`; tests shorten them. */
  scheduleEveryMs?: Partial<Record<FunctionName, number>>;
  /** Functions' timeouts in ms instead of the contract's; tests shorten them. */
  functionTimeoutMs?: Partial<Record<FunctionName, number>>;
  /**
   * Stage throttling; false turns it off.
   * @default - the deployed stage's: LIMITS.throttlingRateLimit and LIMITS.throttlingBurstLimit
   */
  throttle?: Throttle | false;
  /**
   * New connections per second, API Gateway's account quota.
   * @default LIMITS.newConnectionsPerSecond
   */
  connectRateLimit?: number;
  /** Never run $disconnect, as when API Gateway loses one (it is best effort). */
  loseDisconnects?: boolean;
  /** Serves other HTTP paths (the web client); false when not handled. */
  httpFallback?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  log?: (line: string) => void;
  /**
   * The clock the handlers read (connection freshness, sweeps, timestamps); tests move it forward
   * instead of waiting. The gateway's own timeouts keep real time.
   * @default Date.now
   */
  clock?: Clock;
  /** Lowest level the functions log (ENV.logLevel); INFO by default. */
  logLevel?: LogLevel;
  /** Observes the gateway's invocations, frames and @connections requests (the benchmark counts them). */
  onGatewayEvent?: (event: GatewayEvent) => void;
  /** Observes the requests that reach the local S3, after its checks (the benchmark counts them). */
  onS3Request?: (event: S3RequestEvent) => void;
  /**
   * Pauses before the retries of a failed asynchronous invocation; tests shorten them.
   * @default [60_000, 120_000], about what Lambda waits
   */
  asyncRetryDelaysMs?: readonly number[];
}

export interface Runtime {
  wsUrl: string;
  httpUrl: string;
  connectionsEndpoint: string;
  /** The DynamoDB server itself, for tests and tools: no permission check. */
  dynamoEndpoint: string;
  /** Where the functions' DynamoDB calls go: through the permission check. */
  functionsDynamoEndpoint: string;
  s3Endpoint: string;
  dynamoPort: number;
  /** The DynamoDB server's process id. */
  dynamoPid: number | undefined;
  s3Port: number;
  port: number;
  issuer: LocalIssuer;
  /** The functions' log records and metrics, as CloudWatch would hold them (also at `/metrics`). */
  telemetry: Telemetry;
  /** Instances (execution environments) a function has started so far. */
  instanceCount(name: FunctionName): number;
  /** Resolves with a message if a part the runtime cannot work without has died. */
  failed: Promise<string>;
  /** The key pair a function signs its AWS calls with; tests sign as a function with it. */
  credentialsOf(name: FunctionName): FunctionCredentials;
  /** The local Web Push service the push function sends to. */
  pushService: LocalPushService;
  /** This deployment's VAPID public key (base64url), as the web client's config.json gives it. */
  vapidPublicKey: string;
  /**
   * Asynchronous invocations that failed after their retries: the local failure destination (also
   * appended to `<dataDir>/failed-events.jsonl`).
   */
  failedEvents(): readonly AsyncFailure[];
  stop(): Promise<void>;
}

const LOCAL_REGION = 'us-east-1';

const portOf = (endpoint: string) => Number(new URL(endpoint).port);

/**
 * Settings every AWS client in this process reads, the functions' SDK clients included: the local
 * servers' endpoints, the region, and the runtime's own credentials (provisioning, tests). A function's
 * configuration is not here: each instance gets its own (functionEnvironment).
 */
function configureProcessEnvironment(values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) process.env[name] = value;
}

interface FunctionConfiguration {
  iam: LocalIam;
  /** The clock every instance's handlers read. */
  clock: Clock;
  /** The local servers, as LocalStack hands its functions AWS_ENDPOINT_URL: code that reads them finds them. */
  endpoints: Record<string, string>;
  /** Every value a function may be configured with, by variable name. */
  values: Record<string, string>;
  /** Test overrides of TIMING_ENV and of the rate limits. */
  timings: Record<string, string>;
}

/**
 * A function's environment as Lambda sets it: the variables its contract entry calls for
 * (environmentNames, the list the CDK stack sets), its own credentials and the region, and nothing
 * else of this process. https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
 */
function functionEnvironment(
  name: FunctionName,
  configuration: FunctionConfiguration,
): Record<string, string> {
  const { accessKeyId, secretAccessKey } = configuration.iam.credentialsOf(name);
  const environment: Record<string, string> = {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    AWS_LAMBDA_FUNCTION_NAME: name,
    ...configuration.endpoints,
    ...configuration.timings,
  };
  const local = FUNCTIONS[name] as FunctionDefinition;
  const localNames = [
    ...(local.vapid ? [LOCAL_ENV.pushServiceOrigins] : []),
    ...(local.vapid === 'signs' ? [LOCAL_ENV.vapidPrivateKey] : []),
  ];
  for (const variable of [...environmentNames(name), ...localNames]) {
    // Locally there is no user pool: the local issuer keeps no refresh tokens to revoke. Nor is there a
    // Secrets Manager: the VAPID private key comes in LOCAL_ENV.vapidPrivateKey instead.
    if (variable === ENV.userPoolId || variable === ENV.vapidSecretArn) continue;
    const value = configuration.values[variable];
    if (value === undefined) throw new Error(`No local value for ${variable}, which ${name} needs`);
    environment[variable] = value;
  }
  return environment;
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** Starts the whole system on this machine: DynamoDB, S3, the identity issuer and the WebSocket gateway. */
export async function startRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const log = options.log ?? ((line: string) => console.log(line));
  const dataDir = options.dataDir;
  const unlock = dataDir ? lockDataDir(dataDir) : () => {};
  if (dataDir) mkdirSync(join(dataDir, 's3'), { recursive: true });
  const started = Promise.all([
    startDynamo({
      engine: options.dynamodb ?? 'dynalite',
      ...(dataDir && {
        dataDir: join(dataDir, options.dynamodb === 'dynamodb-local' ? 'dynamodb-local' : 'dynalite'),
      }),
      ...(options.dynamoPort !== undefined && { port: options.dynamoPort }),
    }),
    startS3({
      ...(dataDir && { dataDir: join(dataDir, 's3') }),
      ...(options.s3Port !== undefined && { port: options.s3Port }),
      ...(options.onS3Request && { onRequest: options.onS3Request }),
    }),
    bundleFunctions(),
    startPushService({ ...(dataDir && { file: join(dataDir, 'push-subscriptions.json') }), log }),
  ]);
  const [dynamo, s3, bundles, pushService] = await started.catch((error: unknown) => {
    unlock();
    throw error;
  });

  // Whatever started is stopped again if a later step fails (a busy port, say).
  const cleanups: (() => Promise<void> | void)[] = [
    unlock,
    () => s3.stop(),
    () => dynamo.stop(),
    () => pushService.stop(),
  ];
  try {
    return await startOn({ options, log, dynamo, s3, bundles, pushService, cleanups });
  } catch (error) {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {});
    throw error;
  }
}

interface Started {
  options: RuntimeOptions;
  log: (line: string) => void;
  dynamo: DynamoServer;
  s3: S3Server;
  bundles: Map<FunctionName, FunctionBundle>;
  pushService: LocalPushService;
  cleanups: (() => Promise<void> | void)[];
}

async function startOn({
  options,
  log,
  dynamo,
  s3,
  bundles,
  pushService,
  cleanups,
}: Started): Promise<Runtime> {
  const dataDir = options.dataDir;
  const vapid = loadVapidKeys(dataDir);
  const failedEvents: AsyncFailure[] = [];
  const recordFailure = (failure: AsyncFailure) => {
    failedEvents.push(failure);
    if (dataDir) appendFileSync(join(dataDir, 'failed-events.jsonl'), `${JSON.stringify(failure)}\n`);
  };
  const iam = new LocalIam(S3RVER_CREDENTIALS);
  const guard = await startDynamoGuard({
    upstream: dynamo.endpoint,
    secretFor: (accessKeyId) => iam.secretFor(accessKeyId),
    authorize: (accessKeyId, call) => iam.authorize(accessKeyId, call),
    log,
  });
  cleanups.push(() => guard.close());

  // An instance starts at its function's first invocation that finds no idle one (a cold start), once
  // every value it is configured with is known. Every function exists before the gateway listens.
  const configured = deferred<FunctionConfiguration>();
  const functions: Record<string, LocalFunction> = {};
  for (const [name, bundle] of bundles) {
    functions[name] = {
      timeoutMs: options.functionTimeoutMs?.[name] ?? timeoutSecondsOf(FUNCTIONS[name]) * 1000,
      createInstance: async () => {
        const configuration = await configured.promise;
        return instantiate(bundle, functionEnvironment(name, configuration), configuration.clock);
      },
    };
  }

  const telemetry = collectTelemetry((record) => log(formatLogRecord(record)));
  cleanups.push(() => telemetry.stop());
  let issuer: LocalIssuer | undefined;
  const throttle =
    options.throttle === false
      ? undefined
      : (options.throttle ?? {
          rateLimit: LIMITS.throttlingRateLimit,
          burstLimit: LIMITS.throttlingBurstLimit,
        });
  const gateway: Gateway = await startGateway({
    ...(options.host !== undefined && { host: options.host }),
    port: options.port ?? 0,
    stage: STAGE,
    routes: ROUTES,
    authorizer: AUTHORIZER,
    functions,
    access: iam,
    limits: {
      idleTimeoutMs: options.limits?.idleTimeoutMs ?? LIMITS.idleTimeoutMs,
      maxConnectionMs: options.limits?.maxConnectionMs ?? LIMITS.maxConnectionMs,
      integrationTimeoutMs: options.limits?.integrationTimeoutMs ?? LIMITS.integrationTimeoutMs,
      maxMessageBytes: LIMITS.maxMessageBytes,
      maxFrameBytes: LIMITS.maxFrameBytes,
    },
    ...(throttle && { throttle }),
    connectRateLimit: options.connectRateLimit ?? LIMITS.newConnectionsPerSecond,
    ...(options.loseDisconnects && { loseDisconnects: true }),
    httpFallback: async (req, res) =>
      serveMetrics(req, res, telemetry) ||
      ((await issuer?.handle(req, res)) ?? false) ||
      ((await options.httpFallback?.(req, res)) ?? false),
    log,
    ...(options.onGatewayEvent && { onEvent: options.onGatewayEvent }),
    asyncInvocations: {
      ...(options.asyncRetryDelaysMs && { retryDelaysMs: options.asyncRetryDelaysMs }),
      onFailure: recordFailure,
    },
  });
  cleanups.push(() => gateway.close());

  issuer = await createLocalIssuer({
    baseUrl: gateway.httpUrl,
    ...(dataDir && { keyFile: join(dataDir, 'issuer-key.json') }),
  });

  const endpoints = {
    AWS_ENDPOINT_URL_DYNAMODB: guard.endpoint,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_LAMBDA: gateway.lambdaEndpoint,
  };
  configureProcessEnvironment({
    // The lockfile pins SDK versions that run on this Node; the deployed functions run on Node 22.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    ...endpoints,
  });

  const dynamoClient = new DynamoDBClient({ endpoint: dynamo.endpoint });
  const s3Client = new S3Client({ forcePathStyle: true });
  try {
    await Promise.all([provisionTables(dynamoClient), provisionBucket(s3Client, LOCAL_MEDIA_BUCKET)]);
  } finally {
    dynamoClient.destroy();
    s3Client.destroy();
  }

  configured.resolve({
    clock: options.clock ?? { now: () => Date.now() },
    iam,
    endpoints,
    values: {
      [ENV.connectionsEndpoint]: gateway.connectionsEndpoint,
      [ENV.jwtIssuer]: issuer.issuer,
      [ENV.jwtAudience]: issuer.audience,
      [ENV.jwksUrl]: issuer.jwksUrl,
      [ENV.mediaBucket]: LOCAL_MEDIA_BUCKET,
      [ENV.serviceName]: 'local',
      [ENV.logLevel]: options.logLevel ?? 'INFO',
      [ENV.vapidPublicKey]: vapid.publicKey,
      [ENV.vapidSubject]: LOCAL_VAPID_SUBJECT,
      [LOCAL_ENV.vapidPrivateKey]: vapid.privateKey,
      [LOCAL_ENV.pushServiceOrigins]: pushService.origin,
      ...Object.fromEntries(TABLES.map((table) => [table.envVar, localTableName(table.name)])),
      // Locally a function's name is its key in FUNCTIONS: the gateway's Lambda API resolves it.
      ...Object.fromEntries(Object.keys(FUNCTIONS).map((name) => [functionNameEnvVar(name), name])),
    },
    timings: {
      ...Object.fromEntries(
        (Object.keys(TIMING_ENV) as (keyof Timings)[]).flatMap((name) => {
          const ms = options.timings?.[name];
          return ms === undefined ? [] : [[TIMING_ENV[name], String(ms)]];
        }),
      ),
      ...(options.rateLimitFactor !== undefined && {
        [RATE_LIMIT_FACTOR_ENV]: String(options.rateLimitFactor),
      }),
    },
  });
  const schedules = startSchedules({
    schedules: SCHEDULES,
    invoke: (name, event) => gateway.invoke(name, event),
    ...(options.scheduleEveryMs && { everyMs: options.scheduleEveryMs }),
    log,
  });

  return {
    wsUrl: gateway.wsUrl,
    httpUrl: gateway.httpUrl,
    connectionsEndpoint: gateway.connectionsEndpoint,
    dynamoEndpoint: dynamo.endpoint,
    functionsDynamoEndpoint: guard.endpoint,
    s3Endpoint: s3.endpoint,
    dynamoPort: portOf(dynamo.endpoint),
    dynamoPid: dynamo.pid,
    s3Port: portOf(s3.endpoint),
    port: gateway.port,
    issuer,
    telemetry,
    instanceCount: (name) => gateway.instanceCount(name),
    credentialsOf: (name) => iam.credentialsOf(name),
    pushService,
    vapidPublicKey: vapid.publicKey,
    failedEvents: () => [...failedEvents],
    // Nothing works without the database: the runtime says so instead of answering INTERNAL forever.
    failed: dynamo.died.then(
      (description) =>
        `DynamoDB stopped unexpectedly: ${description}. Every request would fail; start the runtime again.`,
    ),
    stop: async () => {
      await schedules.stop();
      for (const cleanup of cleanups.reverse()) await cleanup();
    },
  };
}

/** `GET /metrics`: the functions' metrics so far, as a plain-text table. */
function serveMetrics(req: IncomingMessage, res: ServerResponse, telemetry: Telemetry): boolean {
  if (req.method !== 'GET' || new URL(req.url ?? '/', 'http://local').pathname !== '/metrics') return false;
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${telemetry.report()}\n`);
  return true;
}
