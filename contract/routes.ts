import { ENV } from './environment';
import { TABLES, type TableName } from './tables';

/**
 * The WebSocket API, defined once: every Lambda function, exactly what it may call, and which route
 * invokes it. The CDK stack builds one function, its IAM policy, one integration and one route per
 * entry; the local runtime dispatches frames with the same table and refuses every call a function's
 * entry does not grant (local/permissions.ts), so a missing grant fails locally as it would on AWS.
 */

/** DynamoDB operations, each the IAM action `dynamodb:<name>`. */
export type DynamoAction = 'GetItem' | 'BatchGetItem' | 'Query' | 'PutItem' | 'UpdateItem' | 'DeleteItem';

export interface TableGrant {
  /** Operations on the table itself. */
  readonly actions: readonly DynamoAction[];
  /** Secondary indexes it queries: `dynamodb:Query` on `<table ARN>/index/<name>`, and nothing else there. */
  readonly queryIndexes?: readonly string[];
}

/** Methods of the `@connections` API, each `execute-api:ManageConnections` on `<stage>/<METHOD>/@connections/*`. */
export type ConnectionsMethod = 'POST' | 'GET' | 'DELETE';

/**
 * What a function does with the media bucket. `upload`: presigns POSTs into staging/. `verify`: reads
 * uploads in staging/ and copies them to media/. `download`: presigns GETs of media/. Each names exact
 * S3 actions on one key prefix (lib/media-bucket.ts, MEDIA_GRANTS).
 */
export type MediaAccess = 'upload' | 'verify' | 'download';

export interface FunctionDefinition {
  /** Module under lambdas/handlers/ that exports `handler`. */
  readonly entry: string;
  readonly tables: Partial<Record<TableName, TableGrant>>;
  /** The `@connections` methods it calls; with any, it is given the API's endpoint. */
  readonly connections?: readonly ConnectionsMethod[];
  /** Signs users out at the identity provider (Cognito AdminUserGlobalSignOut). */
  readonly globalSignOut?: boolean;
  readonly media?: readonly MediaAccess[];
  /** Functions it starts asynchronously; each one's name reaches it in `functionNameEnvVar(name)`. */
  readonly invokes?: readonly string[];
  /**
   * Lambda timeout. Routes get DEFAULT_TIMEOUT_SECONDS, well below API Gateway's 29 s, so a stuck call
   * fails visibly; only asynchronous work runs longer.
   */
  readonly timeoutSeconds?: number;
  /**
   * Reserved concurrency: a cap (and a guarantee) for functions a flood could run many copies of, so
   * they cannot take the account's concurrency from sends and receipts. Not emulated locally.
   */
  readonly reservedConcurrency?: number;
  /**
   * Web Push: `publicKey` is given the deployment's VAPID public key (to hand to browsers); `signs`
   * also reads the private key from its secret and POSTs to push services.
   */
  readonly vapid?: 'publicKey' | 'signs';
}

/** A function's timeout when its entry names none. */
export const DEFAULT_TIMEOUT_SECONDS = 10;

export function timeoutSecondsOf(definition: FunctionDefinition): number {
  return definition.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
}

/** The environment variable that carries a function's deployed name to the functions that invoke it. */
export function functionNameEnvVar(name: string): string {
  return `CHAT_${name.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()}_FUNCTION`;
}

/**
 * A push through `@connections` removes a connection found gone (DeleteItem, then UpdateItem of the
 * profile), so every function that posts to users' connections writes that much of the users table.
 */
const REMOVES_GONE: readonly DynamoAction[] = ['DeleteItem', 'UpdateItem'];
/**
 * Announcing presence reads both people's conversations (by either side's index, which holds keys
 * only, then the heads) and the watchers.
 */
const ANNOUNCES_PRESENCE = {
  users: ['GetItem', 'BatchGetItem', 'Query', ...REMOVES_GONE],
  conversations: { actions: ['GetItem', 'BatchGetItem'], queryIndexes: ['byUserLo', 'byUserHi'] },
} as const satisfies { users: readonly DynamoAction[]; conversations: TableGrant };

/**
 * Every action route: a frame after the connection's token expired is answered (POST) and the
 * connection closed (DELETE), in the route adapter (lambdas/handlers/wiring/route.ts).
 */
const ACTION_ROUTE: readonly ConnectionsMethod[] = ['POST', 'DELETE'];

export const FUNCTIONS = {
  authorizer: { entry: 'authorizer', tables: {} },
  /** Registers the connection; the drain it starts tells contacts when the user comes online. */
  connect: {
    entry: 'connect',
    tables: { users: { actions: ['GetItem', 'PutItem', 'UpdateItem'] } },
    invokes: ['drain'],
  },
  /** disconnect, heartbeat and sweeper tell contacts and watchers when a user goes or comes back. */
  disconnect: {
    entry: 'disconnect',
    tables: { users: { actions: ANNOUNCES_PRESENCE.users }, conversations: ANNOUNCES_PRESENCE.conversations },
    connections: ['POST'],
  },
  fallback: { entry: 'fallback', tables: {} },
  sendMessage: {
    entry: 'send-message',
    tables: {
      // GetItem and UpdateItem also read and claim the upload slot of a media message; UpdateItem counts
      // the frame against the rate limits.
      users: { actions: ['GetItem', 'BatchGetItem', ...REMOVES_GONE] },
      messages: { actions: ['Query', 'PutItem'], queryIndexes: ['byMessageId'] },
      // GetItem: the head's last seq and when its activity last moved.
      conversations: { actions: ['GetItem', 'UpdateItem'] },
    },
    connections: ACTION_ROUTE,
    media: ['verify', 'download'],
    invokes: ['push'],
  },
  /** Hands out upload slots; the slot records live in the uploader's partition of the users table. */
  requestUpload: {
    entry: 'request-upload',
    // PutItem stores the slot; UpdateItem counts the frame against the rate limits.
    tables: { users: { actions: ['PutItem', 'UpdateItem'] } },
    connections: ACTION_ROUTE,
    media: ['upload'],
  },
  getMediaUrl: {
    entry: 'get-media-url',
    tables: { conversations: { actions: ['GetItem'] }, messages: { actions: ['Query'] } },
    connections: ACTION_ROUTE,
    media: ['download'],
  },
  heartbeat: {
    entry: 'heartbeat',
    tables: {
      users: { actions: ['PutItem', ...ANNOUNCES_PRESENCE.users] },
      conversations: ANNOUNCES_PRESENCE.conversations,
    },
    connections: ACTION_ROUTE,
    invokes: ['drain'],
  },
  receipt: {
    entry: 'receipt',
    tables: {
      users: { actions: ['BatchGetItem', ...REMOVES_GONE] },
      conversations: { actions: ['GetItem', 'UpdateItem'] },
    },
    connections: ACTION_ROUTE,
  },
  getMessages: {
    entry: 'get-messages',
    tables: {
      users: { actions: ['BatchGetItem'] },
      conversations: { actions: ['GetItem'] },
      messages: { actions: ['Query'] },
    },
    connections: ACTION_ROUTE,
    media: ['download'],
  },
  listConversations: {
    entry: 'list-conversations',
    tables: {
      users: { actions: ['BatchGetItem'] },
      conversations: { actions: ['BatchGetItem'], queryIndexes: ['byUserLo', 'byUserHi'] },
    },
    connections: ACTION_ROUTE,
    media: ['download'],
  },
  hideConversation: {
    entry: 'hide-conversation',
    tables: { conversations: { actions: ['UpdateItem'] } },
    connections: ACTION_ROUTE,
  },
  /** Counts its frames (rate limit) and coalesces syncs per device in the users table. */
  sync: {
    entry: 'sync',
    tables: { users: { actions: ['PutItem', 'UpdateItem'] } },
    connections: ACTION_ROUTE,
    invokes: ['drain'],
  },
  /** Delivers what a device has not acknowledged; started after $connect returns, or by `sync`. */
  drain: {
    entry: 'drain',
    tables: {
      users: { actions: ['PutItem', ...ANNOUNCES_PRESENCE.users] },
      conversations: { actions: ['GetItem', 'BatchGetItem'], queryIndexes: ['byUserLo', 'byUserHi'] },
      messages: { actions: ['Query'] },
    },
    connections: ['POST'],
    media: ['download'],
    timeoutSeconds: 300,
    // Every connect starts one; asynchronous invocations beyond the cap wait in Lambda's queue.
    reservedConcurrency: 50,
  },
  getPresence: {
    entry: 'get-presence',
    tables: {
      users: { actions: ['BatchGetItem', 'PutItem', 'UpdateItem'] },
      conversations: { actions: ['GetItem'] },
    },
    connections: ACTION_ROUTE,
    reservedConcurrency: 20,
  },
  /** Reads both people (blocks, connections) and counts its frames; pushes may remove gone connections. */
  typing: {
    entry: 'typing',
    tables: { users: { actions: ['BatchGetItem', ...REMOVES_GONE] } },
    connections: ACTION_ROUTE,
    reservedConcurrency: 20,
  },
  updateSettings: {
    entry: 'update-settings',
    tables: { users: { actions: ['GetItem', 'UpdateItem'] } },
    connections: ACTION_ROUTE,
  },
  /** Block and unblock change the caller's own profile only. */
  block: { entry: 'block', tables: { users: { actions: ['UpdateItem'] } }, connections: ACTION_ROUTE },
  unblock: { entry: 'unblock', tables: { users: { actions: ['UpdateItem'] } }, connections: ACTION_ROUTE },
  /**
   * Stores or removes the caller's device's push subscription (`push#<deviceId>` item, and the
   * profile's `pushDevices`); UpdateItem also counts the frame against the rate limits.
   */
  setPushSubscription: {
    entry: 'set-push-subscription',
    tables: { users: { actions: ['PutItem', 'DeleteItem', 'UpdateItem'] } },
    connections: ACTION_ROUTE,
    vapid: 'publicKey',
  },
  /** Changes the caller's profile's `muted`; GetItem finds the caller's other connections to tell. */
  muteConversation: {
    entry: 'mute-conversation',
    tables: { users: { actions: ['GetItem', ...REMOVES_GONE] } },
    connections: ACTION_ROUTE,
  },
  /**
   * Sends Web Push notifications for one message, started by sendMessage: reads the recipient's profile
   * and subscriptions (BatchGetItem), the message (Query) and the head (GetItem); removes subscriptions
   * the push service says are gone (DeleteItem, UpdateItem).
   */
  push: {
    entry: 'push',
    tables: {
      users: { actions: ['GetItem', 'BatchGetItem', 'DeleteItem', 'UpdateItem'] },
      messages: { actions: ['Query'] },
      conversations: { actions: ['GetItem'] },
    },
    vapid: 'signs',
    timeoutSeconds: 30,
    // One runs per message to an offline recipient; a flood waits in Lambda's queue, not in sends' way.
    reservedConcurrency: 20,
  },
  /** Ends every session of the caller: refresh tokens revoked, older tokens refused, connections closed. */
  signOutEverywhere: {
    entry: 'sign-out-everywhere',
    tables: { users: { actions: ['GetItem', 'UpdateItem', 'DeleteItem'] } },
    connections: ACTION_ROUTE,
    globalSignOut: true,
  },
  /** Takes away connections whose heartbeats lapsed without a `$disconnect`; run by SCHEDULES. */
  sweeper: {
    entry: 'sweeper',
    tables: {
      users: { actions: ANNOUNCES_PRESENCE.users, queryIndexes: ['byExpiry'] },
      conversations: ANNOUNCES_PRESENCE.conversations,
    },
    connections: ['POST', 'DELETE'],
  },
} as const satisfies Record<string, FunctionDefinition>;

export type FunctionName = keyof typeof FUNCTIONS;

/**
 * The variables a function is configured with, derived from its entry alone: its service name and log
 * level (every function), the names of the tables it may use, the `@connections` endpoint if it calls it, the bucket, the functions it invokes, and the
 * token settings for the authorizer. The CDK stack sets exactly these (test/cdk/chat-stack.test.ts),
 * and the local runtime gives each function these and no others.
 */
export function environmentNames(name: FunctionName): string[] {
  const definition: FunctionDefinition = FUNCTIONS[name];
  const names: string[] = [ENV.serviceName, ENV.logLevel];
  names.push(...TABLES.filter((table) => definition.tables[table.name]).map((table) => table.envVar));
  if ((definition.connections ?? []).length > 0) names.push(ENV.connectionsEndpoint);
  if (definition.media) names.push(ENV.mediaBucket);
  if (definition.globalSignOut) names.push(ENV.userPoolId);
  if (definition.vapid) names.push(ENV.vapidPublicKey);
  if (definition.vapid === 'signs') names.push(ENV.vapidSecretArn, ENV.vapidSubject);
  for (const target of definition.invokes ?? []) names.push(functionNameEnvVar(target));
  if (name === AUTHORIZER.function) names.push(ENV.jwtIssuer, ENV.jwtAudience, ENV.jwksUrl);
  return names.sort();
}

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
  { routeKey: 'setPushSubscription', function: 'setPushSubscription', replies: true },
  { routeKey: 'muteConversation', function: 'muteConversation', replies: true },
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
