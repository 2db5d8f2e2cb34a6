import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'aws-lambda';
import type { RouteDefinition } from '../../contract/routes';

export type LambdaContext = Context;

/** A route as in contract/routes.ts, with any function name so that other tables fit too. */
export type GatewayRoute = Pick<RouteDefinition, 'routeKey' | 'replies'> & { readonly function: string };

export type LambdaHandler = (event: unknown, context: LambdaContext) => Promise<unknown>;

export interface GatewayLimits {
  /** Idle connections (no data frame either way) are closed after this long. */
  idleTimeoutMs: number;
  /** No connection lives longer than this. */
  maxConnectionMs: number;
  /** Largest message in either direction; a larger incoming one closes the socket with 1009. */
  maxMessageBytes: number;
  /** The gateway gives up on an authorizer or route integration after this long. */
  integrationTimeoutMs: number;
}

/** What the gateway did, for counters and benchmarks. */
export type GatewayEvent =
  | { type: 'invokeStart'; function: string }
  | { type: 'invoke'; function: string; durationMs: number; failed: boolean }
  | { type: 'frame'; direction: 'in' | 'out'; connectionId: string; bytes: number }
  | { type: 'connections'; method: string; statusCode: number };

export interface GatewayOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  stage: string;
  routes: readonly GatewayRoute[];
  authorizer?: { function: string; tokenQueryParameter: string };
  /**
   * Handlers by function name, looked up at each invocation (so the caller may fill the record after
   * start); a function that is missing then fails like a handler that throws.
   */
  functions: Readonly<Record<string, LambdaHandler>>;
  limits: GatewayLimits;
  /**
   * Timeout of invocations through the Lambda Invoke API, which no gateway timeout bounds.
   * @default 30000
   */
  functionTimeoutMs?: number;
  /**
   * Other HTTP requests (not WebSocket upgrades, not @connections, not the Lambda API), e.g. the
   * identity issuer and static web files. Return false if not handled; the gateway then answers 404.
   */
  httpFallback?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  /** @default console.log */
  log?: (line: string) => void;
  /** Observes invocations, frames and @connections requests; called synchronously, so it must be cheap. */
  onEvent?: (event: GatewayEvent) => void;
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
}
