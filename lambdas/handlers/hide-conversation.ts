import { conversationStoreFromEnv } from '../aws/environment';
import { actionHandler } from '../aws/websocket';
import { hideConversation } from '../core/history';

const deps = { conversations: conversationStoreFromEnv() };

export const handler = actionHandler('hideConversation', (frame, caller) =>
  hideConversation(deps, caller.userId, frame),
);
