import { hideConversation } from '../core/history';
import { conversationStoreFromEnv } from './wiring/environment';
import { actionHandler } from './wiring/route';

const deps = { conversations: conversationStoreFromEnv() };

export const handler = actionHandler('hideConversation', (frame, caller) =>
  hideConversation(deps, caller.userId, frame),
);
