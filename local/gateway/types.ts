import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'aws-lambda';
import type { RouteDefinition } from '../../contract/routes';
import type { AwsDenial } from '../signature';
import type { AsyncInvocationOptions } from './async-invocations';

export type LambdaContext = Context;

/** A route as in contract/routes.ts, with any function name so that other tables fit too. */
export type GatewayRoute = Pick<RouteDefinition, 'routeKey' | 'replies'> & { readonly function: string };

export type LambdaHandler = (event: unknown, context: LambdaContext) => Promise<unknown>;

/** A Lambda function as the local runtime runs it. */
export interface LocalFunction {
  /** The function's own timeout (Lambda's), which also sets its context's remaining time. */
  readonly timeoutMs: number;
  /**
   * Starts a new execution environment: a handler with module state of its own (a cold start). Lambda
   * runs concurrent invocations in separate environments and reuses one only once it is idle.
   */
  createInstance(): LambdaHandler | Promise<LambdaHandler>;
}

/** A call to an AWS API, as IAM authorizes it. */
export type AwsCall =
  | { service: 'dynamodb'; action: string; table: string; index?: string }
  | {
      service: 'execute-api';
      method: 'POST' | 'GET' | 'DELETE';
      apiId: string;
      stage: string;
      connectionId: string;
    }
  | { service: 'lambda'; functionName: string };

/** Who may call the @connections and Lambda APIs the gateway serves. */
export interface ServiceAccess {
  /** The secret of an access key id, to check request signatures; undefined for an unknown key. */
  secretFor(accessKeyId: string): string | undefined;
  /** Undefined when the key's holder may make the call, else the error to answer. */
  authorize(accessKeyId: string, call: AwsCall): AwsDenial | undefined;
}

/** Stage throttling: a token bucket per stage, as API Gateway applies its route throttling. */
export interface Throttle {
  /** Requests per second, steady state. */
  rateLimit: number;
  burstLimit: number;
}

export interface GatewayLimits {
  /** Idle connections (no data frame either way) are closed after this long. */
  idleTimeoutMs: number;
  /** No connection lives longer than this. */
  maxConnectionMs: number;
  /** Largest message in either direction: larger route responses and @connections posts are refused. */
  maxMessageBytes: number;
  /**
   * Largest incoming frame; a larger one closes the socket with 1009. Browsers and `ws` send each
   * message as one frame, so for them this is the largest message.
   */
  maxFrameBytes: number;
  /** The gateway gives up on an authorizer or route integration after this long. */
  integrationTimeoutMs: number;
}

/** What the gateway did, for counters and benchmarks. */
export type GatewayEvent =
  | { type: 'invokeStart'; function: string }
  | { type: 'invoke'; function: string; durationMs: number; failed: boolean }
  | { type: 'frame'; direction: 'in' | 'out'; connectionId: string; bytes: number }
  /** An outgoing message over the limit: API Gateway would not deliver it. */
  | { type: 'oversize'; connectionId: string; bytes: number; source: 'route response' | '@connections' }
  | { type: 'connections'; method: string; statusCode: number };

export interface GatewayOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  stage: string;
  routes: readonly GatewayRoute[];
  authorizer?: { function: string; tokenQueryParameter: string };
  /** The functions by name; each invocation runs in an idle instance of its function or a new one. */
  functions: Readonly<Record<string, LocalFunction>>;
  limits: GatewayLimits;
  /**
   * Checks signatures and grants of @connections and Lambda API calls.
   * @default - any signed request is accepted; unsigned ones are refused
   */
  access?: ServiceAccess;
  /** @default - no throttling */
  throttle?: Throttle;
  /**
   * New connections per second the account accepts (API Gateway's quota is 500); more are refused 429.
   * @default - no limit
   */
  connectRateLimit?: number;
  /** Never runs $disconnect, as when API Gateway loses it (it is best effort); tests use it. */
  loseDisconnects?: boolean;
  /**
   * Other HTTP requests (not WebSocket upgrades, not @connections, not the Lambda API), e.g. the
   * identity issuer and static web files. Return false if not handled; the gateway then answers 404.
   */
  httpFallback?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  /** @default console.log */
  log?: (line: string) => void;
  /** Observes invocations, frames and @connections requests; called synchronously, so it must be cheap. */
  onEvent?: (event: GatewayEvent) => void;
  /** Retries and failure destination of `Event` invocations. */
  asyncInvocations?: AsyncInvocationOptions;
}

export interface Gateway {
  port: number;
  /** ws://host:port/<stage> */
  wsUrl: string;
  /** http://host:port */
  httpUrl: string;
  /** http://host:port/<stage>: the management API client's endpoint. */
  connectionsEndpoint: string;
  /** http://host:port: the Lambda client's endpoint. */
  lambdaEndpoint: string;
  /** Closes every socket (each gets $disconnect), waits for invocations in flight, then the server. */
  close(): Promise<void>;
  /** Open connections ($connect has returned and the socket is not closed). */
  connectionCount(): number;
  /** Invokes a function as another AWS service would (EventBridge, for the schedules). */
  invoke(functionName: string, event: unknown): Promise<unknown>;
  /** Instances (execution environments) a function has started so far. */
  instanceCount(functionName: string): number;
}
