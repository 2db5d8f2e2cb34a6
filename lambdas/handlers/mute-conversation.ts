import { muteConversation } from '../core/push';
import { notifierFromEnv, pushStoreFromEnv, systemClock, userStoreFromEnv } from './wiring/environment';
import { actionHandler } from './wiring/route';

const deps = {
  users: userStoreFromEnv(),
  push: pushStoreFromEnv(),
  notifier: notifierFromEnv(),
  clock: systemClock,
};

export const handler = actionHandler('muteConversation', (frame, caller) =>
  muteConversation(deps, caller, frame),
);
