import { listConversations } from '../core/history';
import { conversationStoreFromEnv, systemClock, userStoreFromEnv } from './wiring/environment';
import { mediaObjectsFromEnv } from './wiring/media';
import { actionHandler } from './wiring/route';

const deps = {
  users: userStoreFromEnv(),
  conversations: conversationStoreFromEnv(),
  links: mediaObjectsFromEnv(),
  clock: systemClock,
};

export const handler = actionHandler('listConversations', (frame, caller) =>
  listConversations(deps, caller.userId, frame),
);
