import { getPresence } from '../core/presence';
import { timingsFromEnv } from './wiring/config';
import { conversationStoreFromEnv, systemClock, userStoreFromEnv } from './wiring/environment';
import { actionHandler } from './wiring/route';

const deps = {
  users: userStoreFromEnv(),
  conversations: conversationStoreFromEnv(),
  clock: systemClock,
  ...timingsFromEnv(),
};

export const handler = actionHandler('getPresence', (frame, caller) =>
  getPresence(deps, caller.userId, frame),
);
