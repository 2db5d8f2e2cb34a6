import {
  conversationStoreFromEnv,
  messageStoreFromEnv,
  systemClock,
  userStoreFromEnv,
} from '../aws/environment';
import { actionHandler } from '../aws/websocket';
import { getMessages } from '../core/history';

const deps = {
  users: userStoreFromEnv(),
  conversations: conversationStoreFromEnv(),
  messages: messageStoreFromEnv(),
  clock: systemClock,
};

export const handler = actionHandler('getMessages', (frame, caller) =>
  getMessages(deps, caller.userId, frame),
);
