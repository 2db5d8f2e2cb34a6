import {
  conversationStoreFromEnv,
  messageStoreFromEnv,
  notifierFromEnv,
  systemClock,
  userStoreFromEnv,
} from '../aws/environment';
import { actionHandler } from '../aws/websocket';
import { KeyedQueue } from '../core/keyed-queue';
import { sendMessage } from '../core/messaging';

const deps = {
  users: userStoreFromEnv(),
  messages: messageStoreFromEnv(),
  conversations: conversationStoreFromEnv(),
  notifier: notifierFromEnv(),
  clock: systemClock,
  knownUsers: new Set<string>(),
  conversationQueue: new KeyedQueue(),
};

export const handler = actionHandler('sendMessage', (frame, caller) => sendMessage(deps, caller, frame));
