import { getMessages } from '../core/history';
import {
  conversationStoreFromEnv,
  messageStoreFromEnv,
  systemClock,
  userStoreFromEnv,
} from './wiring/environment';
import { mediaObjectsFromEnv } from './wiring/media';
import { actionHandler } from './wiring/route';

const deps = {
  users: userStoreFromEnv(),
  conversations: conversationStoreFromEnv(),
  messages: messageStoreFromEnv(),
  links: mediaObjectsFromEnv(),
  clock: systemClock,
};

export const handler = actionHandler('getMessages', (frame, caller) =>
  getMessages(deps, caller.userId, frame),
);
