import { conversationStoreFromEnv, systemClock, userStoreFromEnv } from '../aws/environment';
import { actionHandler } from '../aws/websocket';
import { listConversations } from '../core/history';

const deps = { users: userStoreFromEnv(), conversations: conversationStoreFromEnv(), clock: systemClock };

export const handler = actionHandler('listConversations', (frame, caller) =>
  listConversations(deps, caller.userId, frame),
);
