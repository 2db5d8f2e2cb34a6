import { functionNameEnvVar } from '../contract/routes';
import { CONVERSATIONS_TABLE, MESSAGES_TABLE, USERS_TABLE } from '../contract/tables';
import type { ConnectionDeps } from '../core/connections';
import type { Clock } from '../core/ports';
import { DynamoConversationStore } from '../store/dynamo-conversations';
import { DynamoDeviceStore } from '../store/dynamo-devices';
import { DynamoMessageStore } from '../store/dynamo-messages';
import { DynamoUserStore } from '../store/dynamo-users';
import { createDocumentClient } from './clients';
import { requireEnv, timingsFromEnv } from './config';
import { LambdaInvoker } from './invoker';
import { ManagementApiNotifier } from './notifier';

/**
 * Builders for the stores and clients a handler needs, each reading only its own configuration: a
 * function is granted (and given the name of) only the tables it uses. Handlers call them once, at
 * module load, so a missing variable fails the cold start.
 */
const db = createDocumentClient();

export const systemClock: Clock = { now: () => Date.now() };

export const userStoreFromEnv = () => new DynamoUserStore(db, requireEnv(USERS_TABLE.envVar));
export const messageStoreFromEnv = () => new DynamoMessageStore(db, requireEnv(MESSAGES_TABLE.envVar));
export const conversationStoreFromEnv = () =>
  new DynamoConversationStore(db, requireEnv(CONVERSATIONS_TABLE.envVar));
export const notifierFromEnv = () => new ManagementApiNotifier(requireEnv('CHAT_CONNECTIONS_ENDPOINT'));
export const deviceStoreFromEnv = () => new DynamoDeviceStore(db, requireEnv(USERS_TABLE.envVar));
export const invokerFromEnv = (functionName: string) =>
  new LambdaInvoker(requireEnv(functionNameEnvVar(functionName)));
/** connect, disconnect, heartbeat and the sweeper: a change of presence is pushed to other users. */
export const connectionDepsFromEnv = (): ConnectionDeps => ({
  users: userStoreFromEnv(),
  conversations: conversationStoreFromEnv(),
  notifier: notifierFromEnv(),
  clock: systemClock,
  ...timingsFromEnv(),
});
