import { connectionDepsFromEnv, invokerFromEnv } from '../aws/environment';
import { actionHandler } from '../aws/websocket';
import { heartbeat } from '../core/connections';

const deps = connectionDepsFromEnv();
const drain = invokerFromEnv('drain');

export const handler = actionHandler('heartbeat', (frame, caller) =>
  heartbeat(deps, caller, frame.requestId, drain),
);
