import { timingsFromEnv } from '../aws/config';
import { conversationStoreFromEnv, systemClock, userStoreFromEnv } from '../aws/environment';
import { actionHandler } from '../aws/websocket';
import { getPresence } from '../core/presence';

const deps = {
  users: userStoreFromEnv(),
  conversations: conversationStoreFromEnv(),
  clock: systemClock,
  ...timingsFromEnv(),
};

export const handler = actionHandler('getPresence', (frame, caller) =>
  getPresence(deps, caller.userId, frame),
);
