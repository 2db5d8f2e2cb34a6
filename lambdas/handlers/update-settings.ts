import { updateSettings } from '../core/settings';
import { notifierFromEnv, systemClock, userStoreFromEnv } from './wiring/environment';
import { actionHandler } from './wiring/route';

const deps = { users: userStoreFromEnv(), notifier: notifierFromEnv(), clock: systemClock };

export const handler = actionHandler('updateSettings', (frame, caller) =>
  updateSettings(deps, caller, frame),
);
