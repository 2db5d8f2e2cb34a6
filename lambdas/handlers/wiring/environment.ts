import { ENV, LOCAL_ENV } from '../../../contract/environment';
import type { DrainRequest, PushRequest } from '../../../contract/invocations';
import { functionNameEnvVar } from '../../../contract/routes';
import { CONVERSATIONS_TABLE, MESSAGES_TABLE, USERS_TABLE } from '../../../contract/tables';
import { ManagementApiNotifier } from '../../adapters/connections/notifier';
import { createDocumentClient } from '../../adapters/dynamodb/client';
import { DynamoConversationStore } from '../../adapters/dynamodb/conversations';
import { DynamoDeviceStore } from '../../adapters/dynamodb/devices';
import { DynamoMessageStore } from '../../adapters/dynamodb/messages';
import { DynamoPushStore } from '../../adapters/dynamodb/push';
import { DynamoRateCounter } from '../../adapters/dynamodb/rate-counter';
import { DynamoUploadSlotStore } from '../../adapters/dynamodb/uploads';
import { DynamoUserStore } from '../../adapters/dynamodb/users';
import { CognitoIdentityProvider } from '../../adapters/identity/cognito';
import { LambdaInvoker } from '../../adapters/lambda/invoker';
import type { ConnectionDeps } from '../../core/connections';
import { InstanceCache } from '../../core/instance-cache';
import type { Clock } from '../../core/ports';
import type { PushConfig } from '../../core/push';
import type { RateLimitDeps } from '../../core/rate-limit';
import { handlerClock } from './clock';
import { awsConfigFromEnv, rateLimitFactorFromEnv, requireEnv, timingsFromEnv } from './config';

/**
 * Builders for the stores and clients a handler needs, each reading only its own configuration: a
 * function is granted (and given the name of) only the tables it uses. Handlers call them once, at
 * module load, so a missing variable fails the cold start.
 */
const aws = awsConfigFromEnv();
const db = createDocumentClient(aws);

/** Date.now(), unless the local runtime set another clock (clock.ts). */
export const systemClock: Clock = handlerClock;

export const userStoreFromEnv = () => new DynamoUserStore(db, requireEnv(USERS_TABLE.envVar));
export const messageStoreFromEnv = () => new DynamoMessageStore(db, requireEnv(MESSAGES_TABLE.envVar));
export const conversationStoreFromEnv = () =>
  new DynamoConversationStore(db, requireEnv(CONVERSATIONS_TABLE.envVar));
export const notifierFromEnv = () => new ManagementApiNotifier(requireEnv(ENV.connectionsEndpoint), aws);
export const deviceStoreFromEnv = () => new DynamoDeviceStore(db, requireEnv(USERS_TABLE.envVar));
export const uploadSlotStoreFromEnv = () => new DynamoUploadSlotStore(db, requireEnv(USERS_TABLE.envVar));
export const pushStoreFromEnv = () => new DynamoPushStore(db, requireEnv(USERS_TABLE.envVar));
export const pushInvokerFromEnv = () =>
  new LambdaInvoker<PushRequest>(requireEnv(functionNameEnvVar('push')), aws);
/**
 * What the functions that deal with push subscriptions know: the public key, and locally the local
 * push service's origins (never set by the stack).
 */
export const pushConfigFromEnv = (): PushConfig => ({
  vapidPublicKey: requireEnv(ENV.vapidPublicKey),
  localPushOrigins: (process.env[LOCAL_ENV.pushServiceOrigins] ?? '').split(',').filter(Boolean),
});
export const drainInvokerFromEnv = () =>
  new LambdaInvoker<DrainRequest>(requireEnv(functionNameEnvVar('drain')), aws);
export const rateLimitDepsFromEnv = (): RateLimitDeps => ({
  counter: new DynamoRateCounter(db, requireEnv(USERS_TABLE.envVar)),
  refusedUntil: new InstanceCache<number>(10_000),
  factor: rateLimitFactorFromEnv(),
});
/** Cognito when the stack names a user pool; locally none, since the local issuer keeps no refresh tokens. */
export const identityFromEnv = () => {
  const userPoolId = process.env[ENV.userPoolId];
  return userPoolId ? new CognitoIdentityProvider(userPoolId) : undefined;
};
/** connect, disconnect, heartbeat and the sweeper: a change of presence is pushed to other users. */
export const connectionDepsFromEnv = (): ConnectionDeps => ({
  users: userStoreFromEnv(),
  conversations: conversationStoreFromEnv(),
  notifier: notifierFromEnv(),
  clock: systemClock,
  ...timingsFromEnv(),
});
