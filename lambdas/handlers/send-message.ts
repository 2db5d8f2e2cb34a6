import {
  conversationStoreFromEnv,
  messageStoreFromEnv,
  notifierFromEnv,
  systemClock,
  userStoreFromEnv,
} from '../aws/environment';
import { actionHandler } from '../aws/websocket';
import { sendMessage } from '../core/messaging';

const deps = {
  users: userStoreFromEnv(),
  messages: messageStoreFromEnv(),
  conversations: conversationStoreFromEnv(),
  notifier: notifierFromEnv(),
  clock: systemClock,
};

export const handler = actionHandler('sendMessage', (frame, caller) => sendMessage(deps, caller, frame));
