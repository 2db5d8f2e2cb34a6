import { listConversations } from '../core/history';
import { conversationStoreFromEnv, systemClock, userStoreFromEnv } from './wiring/environment';
import { actionHandler } from './wiring/route';

const deps = { users: userStoreFromEnv(), conversations: conversationStoreFromEnv(), clock: systemClock };

export const handler = actionHandler('listConversations', (frame, caller) =>
  listConversations(deps, caller.userId, frame),
);
