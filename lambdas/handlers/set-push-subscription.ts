import { setPushSubscription } from '../core/push';
import { pushConfigFromEnv, pushStoreFromEnv, systemClock } from './wiring/environment';
import { actionHandler } from './wiring/route';

const deps = { push: pushStoreFromEnv(), clock: systemClock, config: pushConfigFromEnv() };

export const handler = actionHandler('setPushSubscription', (frame, caller) =>
  setPushSubscription(deps, caller, frame),
);
