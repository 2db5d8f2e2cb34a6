import { updateSettings } from '../core/settings';
import { userStoreFromEnv } from './wiring/environment';
import { actionHandler } from './wiring/route';

const deps = { users: userStoreFromEnv() };

export const handler = actionHandler('updateSettings', (frame, caller) =>
  updateSettings(deps, caller.userId, frame),
);
