import { userStoreFromEnv } from '../aws/environment';
import { actionHandler } from '../aws/websocket';
import { updateSettings } from '../core/settings';

const deps = { users: userStoreFromEnv() };

export const handler = actionHandler('updateSettings', (frame, caller) =>
  updateSettings(deps, caller.userId, frame),
);
