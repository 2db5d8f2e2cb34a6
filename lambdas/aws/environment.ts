import { CONVERSATIONS_TABLE, MESSAGES_TABLE, USERS_TABLE } from '../contract/tables';
import type { Clock } from '../core/ports';
import { DynamoConversationStore } from '../store/dynamo-conversations';
import { DynamoMessageStore } from '../store/dynamo-messages';
import { DynamoUserStore } from '../store/dynamo-users';
import { createDocumentClient } from './clients';
import { requireEnv } from './config';
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
