import { heartbeat } from '../core/connections';
import { connectionDepsFromEnv, drainInvokerFromEnv } from './wiring/environment';
import { actionHandler } from './wiring/route';

const deps = connectionDepsFromEnv();
const drain = drainInvokerFromEnv();

export const handler = actionHandler('heartbeat', (frame, caller, token) =>
  heartbeat(deps, caller, token, frame.requestId, drain),
);
