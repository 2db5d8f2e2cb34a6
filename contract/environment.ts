import type { LIMITS } from './limits';

/**
 * Names of the environment variables the stack and the local runtime set for the functions, beyond
 * each table's own (TableDefinition.envVar) and each invoked function's (functionNameEnvVar).
 */
export const ENV = {
  /** `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`, for the @connections API client. */
  connectionsEndpoint: 'CHAT_CONNECTIONS_ENDPOINT',
  jwtIssuer: 'CHAT_JWT_ISSUER',
  /** The Cognito app client id: the `aud` claim of its ID tokens. */
  jwtAudience: 'CHAT_JWT_AUDIENCE',
  jwksUrl: 'CHAT_JWKS_URL',
  mediaBucket: 'CHAT_MEDIA_BUCKET',
  /** Lowest level logged: one of LOG_LEVELS; INFO when unset. */
  logLevel: 'CHAT_LOG_LEVEL',
  /** The `service` key of every log line and dimension of every metric: the stack name, so stages stay apart. */
  serviceName: 'CHAT_SERVICE_NAME',
  /** The Cognito user pool, for functions that sign users out there; unset locally (no refresh tokens). */
  userPoolId: 'CHAT_USER_POOL_ID',
  /** The deployment's VAPID public key (base64url, uncompressed P-256 point): browsers subscribe with it. */
  vapidPublicKey: 'CHAT_VAPID_PUBLIC_KEY',
  /** The Secrets Manager secret holding the VAPID key pair; unset locally (LOCAL_ENV.vapidPrivateKey). */
  vapidSecretArn: 'CHAT_VAPID_SECRET_ARN',
  /** RFC 8292 `sub`: a mailto: or https: contact the push services can reach the operator at. */
  vapidSubject: 'CHAT_VAPID_SUBJECT',
} as const;

/**
 * Variables only the local runtime sets, never the stack: a deployed function that found one would
 * POST to a host PUSH_SERVICE_HOSTS does not name, or sign with a key that is not in Secrets Manager.
 */
export const LOCAL_ENV = {
  /** Comma-separated origins (http://127.0.0.1:<port>) of the local push service, allowed besides PUSH_SERVICE_HOSTS. */
  pushServiceOrigins: 'CHAT_LOCAL_PUSH_SERVICE_ORIGINS',
  /** The local VAPID private key (base64url), which the deployed push function reads from Secrets Manager. */
  vapidPrivateKey: 'CHAT_LOCAL_VAPID_PRIVATE_KEY',
} as const;

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Timings that tests shorten, each with the environment variable that overrides it; production uses
 * the defaults from LIMITS. The local runtime sets the same variables from its options.
 */
export const TIMING_ENV = {
  heartbeatIntervalMs: 'CHAT_HEARTBEAT_INTERVAL_MS',
  connectionTtlMs: 'CHAT_CONNECTION_TTL_MS',
  presenceWatchMs: 'CHAT_PRESENCE_WATCH_MS',
  typingTtlMs: 'CHAT_TYPING_TTL_MS',
  typingMinIntervalMs: 'CHAT_TYPING_MIN_INTERVAL_MS',
  uploadSlotTtlMs: 'CHAT_UPLOAD_SLOT_TTL_MS',
  uploadClaimMs: 'CHAT_UPLOAD_CLAIM_MS',
} as const satisfies Partial<Record<keyof typeof LIMITS, string>>;

export type Timings = { [K in keyof typeof TIMING_ENV]: number };
