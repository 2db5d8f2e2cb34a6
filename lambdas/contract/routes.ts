import type { TableName } from './tables';

/**
 * The WebSocket API, defined once: every Lambda function, what it may touch, and which route invokes it.
 * The CDK stack creates one function, one integration and one route per entry; the local runtime
 * dispatches frames with the same table.
 */
export type TableAccess = 'read' | 'write' | 'readWrite';

export interface FunctionDefinition {
  /** Module under lambdas/handlers/ that exports `handler`. */
  readonly entry: string;
  readonly tables: Partial<Record<TableName, TableAccess>>;
  /** Posts to, reads or deletes connections through the @connections API. */
  readonly manageConnections: boolean;
  readonly media?: 'read' | 'readWrite';
}

export const FUNCTIONS = {
  authorizer: { entry: 'authorizer', tables: {}, manageConnections: false },
  connect: { entry: 'connect', tables: { users: 'readWrite' }, manageConnections: false },
  disconnect: { entry: 'disconnect', tables: { users: 'readWrite' }, manageConnections: false },
  fallback: { entry: 'fallback', tables: {}, manageConnections: false },
  sendMessage: {
    entry: 'send-message',
    tables: { users: 'readWrite', messages: 'readWrite', conversations: 'readWrite' },
    manageConnections: true,
  },
  heartbeat: { entry: 'heartbeat', tables: { users: 'readWrite' }, manageConnections: false },
} as const satisfies Record<string, FunctionDefinition>;

export type FunctionName = keyof typeof FUNCTIONS;

export interface RouteDefinition {
  readonly routeKey: string;
  readonly function: FunctionName;
  /** The function's return value is sent back to the calling connection (a route response). */
  readonly replies: boolean;
}

export const ROUTE_SELECTION_EXPRESSION = '$request.body.action';

/** `$connect` alone carries the authorizer, as API Gateway allows; its context reaches every route. */
export const AUTHORIZER = {
  function: 'authorizer',
  /** Browsers cannot set headers on a WebSocket, so the token travels in the query string. */
  tokenQueryParameter: 'token',
} as const satisfies { function: FunctionName; tokenQueryParameter: string };

export const ROUTES: readonly RouteDefinition[] = [
  { routeKey: '$connect', function: 'connect', replies: false },
  { routeKey: '$disconnect', function: 'disconnect', replies: false },
  { routeKey: '$default', function: 'fallback', replies: true },
  { routeKey: 'sendMessage', function: 'sendMessage', replies: true },
  { routeKey: 'heartbeat', function: 'heartbeat', replies: true },
];

export const CONNECT_ROUTE = '$connect';
export const DISCONNECT_ROUTE = '$disconnect';
export const DEFAULT_ROUTE = '$default';

/** Stage name used by the deployed API and the local runtime alike. */
export const STAGE = 'live';
