import { getMessages } from '../core/history';
import {
  conversationStoreFromEnv,
  messageStoreFromEnv,
  systemClock,
  userStoreFromEnv,
} from './wiring/environment';
import { actionHandler } from './wiring/route';

const deps = {
  users: userStoreFromEnv(),
  conversations: conversationStoreFromEnv(),
  messages: messageStoreFromEnv(),
  clock: systemClock,
};

export const handler = actionHandler('getMessages', (frame, caller) =>
  getMessages(deps, caller.userId, frame),
);
