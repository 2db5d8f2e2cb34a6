import type { TableName } from './tables';

/**
 * The WebSocket API, defined once: every Lambda function, what it may touch, and which route invokes it.
 * The CDK stack creates one function, one integration and one route per entry; the local runtime
 * dispatches frames with the same table.
 */
export type TableAccess = 'read' | 'write' | 'readWrite';

/**
 * What a function does with the media bucket. `upload`: presigns POSTs into staging/. `verify`: reads
 * uploads in staging/ and copies them to media/. `download`: presigns GETs of media/.
 */
export type MediaAccess = 'upload' | 'verify' | 'download';

export interface FunctionDefinition {
  /** Module under lambdas/handlers/ that exports `handler`. */
  readonly entry: string;
  readonly tables: Partial<Record<TableName, TableAccess>>;
  /**
   * Posts to, reads or deletes connections through the @connections API. Every function behind an
   * action route does: a frame after the connection's token expired closes the connection (DELETE).
   */
  readonly manageConnections: boolean;
  /** Signs users out at the identity provider (Cognito AdminUserGlobalSignOut). */
  readonly globalSignOut?: boolean;
  readonly media?: readonly MediaAccess[];
  /** Functions it starts asynchronously; each one's name reaches it in `functionNameEnvVar(name)`. */
  readonly invokes?: readonly string[];
  /** Lambda timeout; API Gateway stops waiting after 29 s anyway, so only asynchronous work runs longer. */
  readonly timeoutSeconds?: number;
  /**
   * Reserved concurrency: a cap (and a guarantee) for functions a flood could run many copies of, so
   * they cannot take the account's concurrency from sends and receipts. Not emulated locally.
   */
  readonly reservedConcurrency?: number;
}

/** The environment variable that carries a function's deployed name to the functions that invoke it. */
export function functionNameEnvVar(name: string): string {
  return `CHAT_${name.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()}_FUNCTION`;
}

export const FUNCTIONS = {
  authorizer: { entry: 'authorizer', tables: {}, manageConnections: false },
  /** Registers the connection; the drain it starts tells contacts when the user comes online. */
  connect: { entry: 'connect', tables: { users: 'readWrite' }, manageConnections: false, invokes: ['drain'] },
  /** disconnect, heartbeat and sweeper tell contacts and watchers when a user goes or comes back. */
  disconnect: {
    entry: 'disconnect',
    tables: { users: 'readWrite', conversations: 'read' },
    manageConnections: true,
  },
  fallback: { entry: 'fallback', tables: {}, manageConnections: false },
  sendMessage: {
    entry: 'send-message',
    tables: { users: 'readWrite', messages: 'readWrite', conversations: 'readWrite' },
    manageConnections: true,
    media: ['verify', 'download'],
  },
  /** Hands out upload slots; the slot records live in the uploader's partition of the users table. */
  requestUpload: {
    entry: 'request-upload',
    tables: { users: 'readWrite' },
    manageConnections: true,
    media: ['upload'],
  },
  getMediaUrl: {
    entry: 'get-media-url',
    tables: { conversations: 'read', messages: 'read' },
    manageConnections: true,
    media: ['download'],
  },
  heartbeat: {
    entry: 'heartbeat',
    tables: { users: 'readWrite', conversations: 'read' },
    manageConnections: true,
    invokes: ['drain'],
  },
  receipt: {
    entry: 'receipt',
    tables: { users: 'readWrite', conversations: 'readWrite' },
    manageConnections: true,
  },
  getMessages: {
    entry: 'get-messages',
    tables: { users: 'read', conversations: 'read', messages: 'read' },
    manageConnections: true,
    media: ['download'],
  },
  listConversations: {
    entry: 'list-conversations',
    tables: { users: 'read', conversations: 'read' },
    manageConnections: true,
    media: ['download'],
  },
  hideConversation: {
    entry: 'hide-conversation',
    tables: { conversations: 'readWrite' },
    manageConnections: true,
  },
  /** Counts its frames (rate limit) and coalesces syncs per device in the users table. */
  sync: { entry: 'sync', tables: { users: 'readWrite' }, manageConnections: true, invokes: ['drain'] },
  /** Delivers what a device has not acknowledged; started after $connect returns, or by `sync`. */
  drain: {
    entry: 'drain',
    tables: { users: 'readWrite', conversations: 'read', messages: 'read' },
    manageConnections: true,
    media: ['download'],
    timeoutSeconds: 300,
    // Every connect starts one; asynchronous invocations beyond the cap wait in Lambda's queue.
    reservedConcurrency: 50,
  },
  getPresence: {
    entry: 'get-presence',
    tables: { users: 'readWrite', conversations: 'read' },
    manageConnections: true,
    reservedConcurrency: 20,
  },
  /** Writes only its rate-limit counter. */
  typing: {
    entry: 'typing',
    tables: { users: 'readWrite' },
    manageConnections: true,
    reservedConcurrency: 20,
  },
  updateSettings: { entry: 'update-settings', tables: { users: 'readWrite' }, manageConnections: true },
  /** Block and unblock change the caller's own profile only. */
  block: { entry: 'block', tables: { users: 'readWrite' }, manageConnections: true },
  unblock: { entry: 'unblock', tables: { users: 'readWrite' }, manageConnections: true },
  /** Ends every session of the caller: refresh tokens revoked, older tokens refused, connections closed. */
  signOutEverywhere: {
    entry: 'sign-out-everywhere',
    tables: { users: 'readWrite' },
    manageConnections: true,
    globalSignOut: true,
  },
  /** Takes away connections whose heartbeats lapsed without a `$disconnect`; run by SCHEDULES. */
  sweeper: {
    entry: 'sweeper',
    tables: { users: 'readWrite', conversations: 'read' },
    manageConnections: true,
  },
} as const satisfies Record<string, FunctionDefinition>;

export type FunctionName = keyof typeof FUNCTIONS;

export interface RouteDefinition {
  readonly routeKey: string;
  readonly function: FunctionName;
  /** The function's return value is sent back to the calling connection (a route response). */
  readonly replies: boolean;
  /**
   * Route throttling across all clients, below the stage's, for routes whose flood must not use up the
   * stage's allowance that sends share. Not emulated locally (the per-user rate limits are).
   */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
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
  { routeKey: 'receipt', function: 'receipt', replies: true },
  { routeKey: 'getMessages', function: 'getMessages', replies: true },
  { routeKey: 'listConversations', function: 'listConversations', replies: true },
  { routeKey: 'hideConversation', function: 'hideConversation', replies: true },
  { routeKey: 'sync', function: 'sync', replies: true, throttle: { rateLimit: 50, burstLimit: 100 } },
  {
    routeKey: 'getPresence',
    function: 'getPresence',
    replies: true,
    throttle: { rateLimit: 100, burstLimit: 200 },
  },
  { routeKey: 'typing', function: 'typing', replies: true, throttle: { rateLimit: 200, burstLimit: 400 } },
  { routeKey: 'updateSettings', function: 'updateSettings', replies: true },
  { routeKey: 'requestUpload', function: 'requestUpload', replies: true },
  { routeKey: 'getMediaUrl', function: 'getMediaUrl', replies: true },
  { routeKey: 'signOutEverywhere', function: 'signOutEverywhere', replies: true },
  { routeKey: 'block', function: 'block', replies: true },
  { routeKey: 'unblock', function: 'unblock', replies: true },
];

export interface ScheduleDefinition {
  readonly function: FunctionName;
  /** The CDK stack runs it with an EventBridge rule at this rate; the local runtime with a timer. */
  readonly everyMs: number;
}

export const SCHEDULES: readonly ScheduleDefinition[] = [{ function: 'sweeper', everyMs: 60_000 }];

export const CONNECT_ROUTE = '$connect';
export const DISCONNECT_ROUTE = '$disconnect';
export const DEFAULT_ROUTE = '$default';

/** Stage name used by the deployed API and the local runtime alike. */
export const STAGE = 'live';
