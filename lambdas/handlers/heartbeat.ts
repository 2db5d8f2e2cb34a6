import { timingsFromEnv } from '../aws/config';
import { systemClock, userStoreFromEnv } from '../aws/environment';
import { actionHandler } from '../aws/websocket';
import { heartbeat } from '../core/connections';

const deps = { users: userStoreFromEnv(), clock: systemClock, ...timingsFromEnv() };

export const handler = actionHandler('heartbeat', (frame, caller) =>
  heartbeat(deps, caller, frame.requestId),
);
