import { Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  LogGroupLogDestination,
  type ThrottleSettings,
  WebSocketApi,
  type WebSocketRoute,
  WebSocketStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ENV, type LogLevel } from '../contract/environment';
import { LIMITS } from '../contract/limits';
import {
  AUTHORIZER,
  CONNECT_ROUTE,
  FUNCTIONS,
  type FunctionDefinition,
  type FunctionName,
  functionNameEnvVar,
  ROUTE_SELECTION_EXPRESSION,
  ROUTES,
  STAGE,
} from '../contract/routes';
import { ChatFunction } from './chat-function';
import type { ChatTables } from './chat-tables';
import { grantMediaAccess } from './media-bucket';
import { acknowledge, acknowledgeGrantWildcards, flattenCfnValue, wildcardFinding } from './nag';
import type { VapidKeys } from './vapid-keys';

/** What the authorizer needs to verify the tokens clients connect with. */
export interface JwtSettings {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string;
}

export interface ChatSocketApiProps {
  readonly tables: ChatTables;
  readonly jwt: JwtSettings;
  /**
   * Bucket for functions whose contract entry has `media`.
   * @default - none; then no function may declare `media`
   */
  readonly mediaBucket?: IBucket;
  /**
   * The user pool that functions whose contract entry has `globalSignOut` sign users out of.
   * @default - none; then no function may declare `globalSignOut`
   */
  readonly userPool?: IUserPool;
  /**
   * Default route throttling of the stage.
   * @default - LIMITS.throttlingRateLimit and LIMITS.throttlingBurstLimit
   */
  readonly throttle?: ThrottleSettings;
  /**
   * Memory per function in MB.
   * @default - 256 for every function
   */
  readonly memorySize?: Partial<Record<FunctionName, number>>;
  /**
   * Reserve the concurrency the contract gives some functions (FunctionDefinition.reservedConcurrency).
   * @default true
   */
  readonly reserveConcurrency?: boolean;
  /**
   * Access logs of the stage in a log group. WebSocket APIs can log only once the account's API Gateway
   * settings name a CloudWatch Logs role, which is per account and region, not per stack (see
   * ChatStackProps.apiGatewayCloudWatchRole).
   * @default true
   */
  readonly accessLogging?: boolean;
  /**
   * Lowest level the functions log.
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * The VAPID keys for functions whose contract entry has `vapid`.
   * @default - none; then no function may declare `vapid`
   */
  readonly vapid?: VapidKeys;
}

/**
 * One JSON line per connection, frame and disconnection: who (the authorizer's principal and device,
 * never the token, which is in the query string and not logged), which route, and how it ended.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-logging.html
 */
export const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    extendedRequestId: '$context.extendedRequestId',
    time: '$context.requestTimeEpoch',
    eventType: '$context.eventType',
    routeKey: '$context.routeKey',
    connectionId: '$context.connectionId',
    status: '$context.status',
    principalId: '$context.authorizer.principalId',
    deviceId: '$context.authorizer.deviceId',
    authorizerError: '$context.authorizer.error',
    integrationLatency: '$context.integrationLatency',
    error: '$context.error.message',
    sourceIp: '$context.identity.sourceIp',
  }),
);

/**
 * The WebSocket API built from the route contract: one function per FUNCTIONS entry, one route per
 * ROUTES entry, the Lambda authorizer on `$connect`, and one auto-deployed, throttled stage.
 */
export class ChatSocketApi extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  readonly functions: Readonly<Record<FunctionName, ChatFunction>>;
  readonly routes: ReadonlyMap<string, WebSocketRoute>;
  readonly authorizer: WebSocketLambdaAuthorizer;
  /** `wss://` URL clients connect to. */
  readonly url: string;
  /** `https://` endpoint of the @connections management API of the stage. */
  readonly connectionsEndpoint: string;
  readonly accessLogs?: LogGroup;

  constructor(scope: Construct, id: string, props: ChatSocketApiProps) {
    super(scope, id);

    const names = Object.keys(FUNCTIONS).filter(isFunctionName);
    for (const name of names) {
      const definition: FunctionDefinition = FUNCTIONS[name];
      if (definition.media && !props.mediaBucket) {
        throw new Error(`Function ${name} declares media access, but no mediaBucket was given`);
      }
      if (definition.globalSignOut && !props.userPool) {
        throw new Error(`Function ${name} signs users out, but no userPool was given`);
      }
    }

    this.api = new WebSocketApi(this, 'Api', {
      apiName: `${Stack.of(this).stackName}-chat`,
      description: 'Serverless 1:1 chat',
      routeSelectionExpression: ROUTE_SELECTION_EXPRESSION,
    });

    if (props.accessLogging ?? true) {
      this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH });
    }

    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: STAGE,
      autoDeploy: true,
      throttle: props.throttle ?? {
        rateLimit: LIMITS.throttlingRateLimit,
        burstLimit: LIMITS.throttlingBurstLimit,
      },
      // Per-route metrics (messages, errors, latency by route key) for the dashboard and alarms.
      detailedMetricsEnabled: true,
      accessLogSettings: this.accessLogs
        ? { destination: new LogGroupLogDestination(this.accessLogs), format: ACCESS_LOG_FORMAT }
        : undefined,
    });
    // Per-route throttles from the contract; the L2 stage sets only the stage-wide default.
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-protect.html
    const routeSettings = Object.fromEntries(
      ROUTES.flatMap((route) =>
        route.throttle
          ? [
              [
                route.routeKey,
                {
                  ThrottlingRateLimit: route.throttle.rateLimit,
                  ThrottlingBurstLimit: route.throttle.burstLimit,
                },
              ],
            ]
          : [],
      ),
    );
    (this.stage.node.defaultChild as CfnStage).addPropertyOverride('RouteSettings', routeSettings);
    this.url = this.stage.url;
    this.connectionsEndpoint = this.stage.callbackUrl;

    if (!this.accessLogs) {
      acknowledge(
        this.stage,
        'AwsSolutions-APIG1',
        'Access logging was turned off at deploy time (accessLogging: false): WebSocket stages can log only after the account-wide API Gateway CloudWatch Logs role is set; every route is handled by a function that logs to its own log group.',
      );
      acknowledge(
        this.stage,
        'Serverless-APIGWAccessLogging',
        'Access logging was turned off at deploy time (accessLogging: false), for an account without the API Gateway CloudWatch Logs role; every route is handled by a function that logs to its own log group.',
      );
    }

    const functions: Partial<Record<FunctionName, ChatFunction>> = {};
    for (const name of names) {
      functions[name] = this.createFunction(name, props);
    }
    this.functions = complete(functions, names);

    for (const name of names) {
      this.wireInvocations(this.functions[name]);
    }

    this.authorizer = new WebSocketLambdaAuthorizer('Authorizer', this.functions[AUTHORIZER.function], {
      identitySource: [`route.request.querystring.${AUTHORIZER.tokenQueryParameter}`],
    });

    const routes = new Map<string, WebSocketRoute>();
    for (const route of ROUTES) {
      const integration = new WebSocketLambdaIntegration(
        `${routeConstructId(route.routeKey)}Integration`,
        this.functions[route.function],
      );
      const added = this.api.addRoute(route.routeKey, {
        integration,
        returnResponse: route.replies,
        authorizer: route.routeKey === CONNECT_ROUTE ? this.authorizer : undefined,
      });
      routes.set(route.routeKey, added);
      if (route.routeKey !== CONNECT_ROUTE) {
        acknowledge(
          added,
          'AwsSolutions-APIG4',
          'API Gateway allows authorizers on $connect only; the connection was authorized there and every later route receives that authorizer context.',
        );
      }
    }
    this.routes = routes;
  }

  /** Lets a function start the functions its contract entry `invokes`, and tells it their names. */
  private wireInvocations(fn: ChatFunction): void {
    for (const targetName of fn.definition.invokes ?? []) {
      if (!isFunctionName(targetName)) {
        throw new Error(`Function ${fn.chatName} invokes ${targetName}, which is not in FUNCTIONS`);
      }
      const target = this.functions[targetName];
      const grant = target.grantInvoke(fn);
      acknowledgeGrantWildcards(
        fn.executionRole,
        grant,
        `Invoking the ${targetName} function by name may resolve to its versions and aliases (\`<arn>:*\`); the wildcard covers only that one function.`,
      );
      fn.addEnvironment(functionNameEnvVar(targetName), target.functionName);
    }
  }

  private createFunction(name: FunctionName, props: ChatSocketApiProps): ChatFunction {
    const fn = new ChatFunction(this, `${name.charAt(0).toUpperCase()}${name.slice(1)}Function`, {
      name,
      memorySize: props.memorySize?.[name],
      logLevel: props.logLevel,
      reserveConcurrency: props.reserveConcurrency,
    });
    const definition: FunctionDefinition = FUNCTIONS[name];

    props.tables.grantAccess(fn);

    const methods = definition.connections ?? [];
    if (methods.length > 0) {
      // One statement per method the function calls: POST alone may not read or close connections.
      const resources = methods.map((method) =>
        Stack.of(this).formatArn({
          service: 'execute-api',
          resource: this.api.apiId,
          resourceName: `${STAGE}/${method}/@connections/*`,
        }),
      );
      fn.addToRolePolicy(new PolicyStatement({ actions: ['execute-api:ManageConnections'], resources }));
      for (const resource of resources) {
        const finding = wildcardFinding('Resource', flattenCfnValue(Stack.of(this).resolve(resource)));
        if (finding)
          acknowledge(
            fn.executionRole,
            finding,
            `Connection ids exist only at run time; the wildcard is limited to ${STAGE}-stage @connections resources of this API for the methods the function calls.`,
          );
      }
      // The @connections endpoint comes from configuration: a custom domain would change it.
      fn.addEnvironment(ENV.connectionsEndpoint, this.connectionsEndpoint);
    }

    if (definition.media && props.mediaBucket) {
      for (const grant of grantMediaAccess(fn, props.mediaBucket, definition.media)) {
        acknowledgeGrantWildcards(
          fn.executionRole,
          grant,
          'Media keys are random per upload, made at run time; the wildcard covers one key prefix of the media bucket (staging/ or media/), and the actions are listed one by one.',
        );
      }
      fn.addEnvironment(ENV.mediaBucket, props.mediaBucket.bucketName);
    }

    if (definition.globalSignOut && props.userPool) {
      // Only this one action, on this one pool: revoking a user's refresh tokens.
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['cognito-idp:AdminUserGlobalSignOut'],
          resources: [props.userPool.userPoolArn],
        }),
      );
      fn.addEnvironment(ENV.userPoolId, props.userPool.userPoolId);
    }

    if (definition.vapid && props.vapid) {
      fn.addEnvironment(ENV.vapidPublicKey, props.vapid.publicKey);
      if (definition.vapid === 'signs') {
        // Read once per instance; the secret's resource policy is not needed within the account.
        props.vapid.secret.grantRead(fn);
        fn.addEnvironment(ENV.vapidSecretArn, props.vapid.secret.secretArn);
        fn.addEnvironment(ENV.vapidSubject, props.vapid.subject);
      }
    }

    if (name === AUTHORIZER.function) {
      fn.addEnvironment(ENV.jwtIssuer, props.jwt.issuer);
      fn.addEnvironment(ENV.jwtAudience, props.jwt.audience);
      fn.addEnvironment(ENV.jwksUrl, props.jwt.jwksUrl);
    }
    return fn;
  }
}

function isFunctionName(name: string): name is FunctionName {
  return Object.hasOwn(FUNCTIONS, name);
}

/** `$connect` -> `Connect`, `sendMessage` -> `SendMessage`: construct ids without `$`. */
function routeConstructId(routeKey: string): string {
  const bare = routeKey.replace(/^\$/, '');
  return `${bare.charAt(0).toUpperCase()}${bare.slice(1)}`;
}

function complete(
  partial: Partial<Record<FunctionName, ChatFunction>>,
  names: readonly FunctionName[],
): Record<FunctionName, ChatFunction> {
  const result = {} as Record<FunctionName, ChatFunction>;
  for (const name of names) {
    const fn = partial[name];
    if (!fn) {
      throw new Error(`Function ${name} was not created`);
    }
    result[name] = fn;
  }
  return result;
}
