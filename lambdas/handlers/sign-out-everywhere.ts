import { signOutEverywhere } from '../core/connections';
import {
  identityFromEnv,
  notifierFromEnv,
  pushStoreFromEnv,
  systemClock,
  userStoreFromEnv,
} from './wiring/environment';
import { actionHandler } from './wiring/route';

const deps = {
  users: userStoreFromEnv(),
  notifier: notifierFromEnv(),
  clock: systemClock,
  identity: identityFromEnv(),
  push: pushStoreFromEnv(),
};

/** The `ok` is posted before this connection closes with the others, so there is no route response. */
export const handler = actionHandler('signOutEverywhere', async (frame, caller) => {
  await signOutEverywhere(deps, caller.userId, {
    connectionId: caller.connectionId,
    event: { type: 'ok', ...(frame.requestId === undefined ? {} : { requestId: frame.requestId }) },
  });
  return undefined;
});
