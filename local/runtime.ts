import { mkdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { ENV, type LogLevel, TIMING_ENV, type Timings } from '../contract/environment';
import { LIMITS } from '../contract/limits';
import { RATE_LIMIT_FACTOR_ENV } from '../contract/rate-limits';
import {
  AUTHORIZER,
  FUNCTIONS,
  type FunctionName,
  functionNameEnvVar,
  ROUTES,
  SCHEDULES,
  STAGE,
} from '../contract/routes';
import { TABLES } from '../contract/tables';
import type { Clock } from '../lambdas/core/ports';
import { setHandlerClock } from '../lambdas/handlers/wiring/clock';
import { type DynamoEngine, startDynamo } from './dynamodb';
import { type Gateway, type GatewayEvent, type LambdaHandler, startGateway } from './gateway/server';
import { createLocalIssuer, type LocalIssuer } from './identity';
import { LOCAL_MEDIA_BUCKET, localTableName, provisionBucket, provisionTables } from './provision';
import { S3RVER_CREDENTIALS, startS3 } from './s3';
import type { S3RequestEvent } from './s3-guard';
import { startSchedules } from './schedules';
import { collectTelemetry, formatLogRecord, type Telemetry } from './telemetry';

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
}

export interface Runtime {
  wsUrl: string;
  httpUrl: string;
  connectionsEndpoint: string;
  dynamoEndpoint: string;
  s3Endpoint: string;
  dynamoPort: number;
  s3Port: number;
  port: number;
  issuer: LocalIssuer;
  /** The functions' log records and metrics, as CloudWatch would hold them (also at `/metrics`). */
  telemetry: Telemetry;
  stop(): Promise<void>;
}

const portOf = (endpoint: string) => Number(new URL(endpoint).port);

/**
 * The handlers read their configuration from the environment at module load, as they do in Lambda,
 * so it is set before they are imported. One runtime per process.
 */
function configureEnvironment(values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) process.env[name] = value;
}

async function loadFunctions(): Promise<Record<FunctionName, LambdaHandler>> {
  const entries = await Promise.all(
    (Object.keys(FUNCTIONS) as FunctionName[]).map(async (name) => {
      const module: { handler?: unknown } = await import(`../lambdas/handlers/${FUNCTIONS[name].entry}.ts`);
      if (typeof module.handler !== 'function')
        throw new Error(`lambdas/handlers/${FUNCTIONS[name].entry} has no handler`);
      return [name, module.handler as LambdaHandler] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<FunctionName, LambdaHandler>;
}

/** Starts the whole system on this machine: DynamoDB, S3, the identity issuer and the WebSocket gateway. */
export async function startRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const dataDir = options.dataDir;
  if (dataDir) mkdirSync(join(dataDir, 's3'), { recursive: true });
  const [dynamo, s3] = await Promise.all([
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
  ]);

  const log = options.log ?? ((line: string) => console.log(line));
  const telemetry = collectTelemetry((record) => log(formatLogRecord(record)));
  const functions: Partial<Record<string, LambdaHandler>> = {};
  let issuer: LocalIssuer | undefined;
  const gateway: Gateway = await startGateway({
    ...(options.host !== undefined && { host: options.host }),
    port: options.port ?? 0,
    stage: STAGE,
    routes: ROUTES,
    authorizer: AUTHORIZER,
    functions: functions as Record<string, LambdaHandler>,
    limits: {
      idleTimeoutMs: options.limits?.idleTimeoutMs ?? LIMITS.idleTimeoutMs,
      maxConnectionMs: options.limits?.maxConnectionMs ?? LIMITS.maxConnectionMs,
      integrationTimeoutMs: options.limits?.integrationTimeoutMs ?? LIMITS.integrationTimeoutMs,
      maxMessageBytes: LIMITS.maxMessageBytes,
    },
    httpFallback: async (req, res) =>
      serveMetrics(req, res, telemetry) ||
      ((await issuer?.handle(req, res)) ?? false) ||
      ((await options.httpFallback?.(req, res)) ?? false),
    ...(options.log && { log: options.log }),
    ...(options.onGatewayEvent && { onEvent: options.onGatewayEvent }),
  });

  issuer = await createLocalIssuer({
    baseUrl: gateway.httpUrl,
    ...(dataDir && { keyFile: join(dataDir, 'issuer-key.json') }),
  });

  configureEnvironment({
    // The lockfile pins SDK versions that run on this Node; the deployed functions run on Node 22.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_LAMBDA: gateway.lambdaEndpoint,
    [ENV.connectionsEndpoint]: gateway.connectionsEndpoint,
    [ENV.jwtIssuer]: issuer.issuer,
    [ENV.jwtAudience]: issuer.audience,
    [ENV.jwksUrl]: issuer.jwksUrl,
    [ENV.mediaBucket]: LOCAL_MEDIA_BUCKET,
    [ENV.serviceName]: 'local',
    [ENV.logLevel]: options.logLevel ?? 'INFO',
    ...Object.fromEntries(TABLES.map((table) => [table.envVar, localTableName(table.name)])),
    // Locally a function's name is its key in FUNCTIONS: the gateway's Lambda API resolves it.
    ...Object.fromEntries(Object.keys(FUNCTIONS).map((name) => [functionNameEnvVar(name), name])),
    ...(options.rateLimitFactor !== undefined && {
      [RATE_LIMIT_FACTOR_ENV]: String(options.rateLimitFactor),
    }),
    ...Object.fromEntries(
      (Object.keys(TIMING_ENV) as (keyof Timings)[]).flatMap((name) => {
        const ms = options.timings?.[name];
        return ms === undefined ? [] : [[TIMING_ENV[name], String(ms)]];
      }),
    ),
  });

  const dynamoClient = new DynamoDBClient({});
  const s3Client = new S3Client({ forcePathStyle: true });
  try {
    await Promise.all([provisionTables(dynamoClient), provisionBucket(s3Client, LOCAL_MEDIA_BUCKET)]);
  } finally {
    dynamoClient.destroy();
    s3Client.destroy();
  }
  setHandlerClock(options.clock ?? { now: () => Date.now() });
  Object.assign(functions, await loadFunctions());
  const schedules = startSchedules({
    schedules: SCHEDULES,
    functions: functions as Record<string, LambdaHandler>,
    ...(options.scheduleEveryMs && { everyMs: options.scheduleEveryMs }),
    log,
  });

  return {
    wsUrl: gateway.wsUrl,
    httpUrl: gateway.httpUrl,
    connectionsEndpoint: gateway.connectionsEndpoint,
    dynamoEndpoint: dynamo.endpoint,
    s3Endpoint: s3.endpoint,
    dynamoPort: portOf(dynamo.endpoint),
    s3Port: portOf(s3.endpoint),
    port: gateway.port,
    issuer,
    telemetry,
    stop: async () => {
      await schedules.stop();
      await gateway.close();
      await Promise.all([dynamo.stop(), s3.stop()]);
      telemetry.stop();
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
