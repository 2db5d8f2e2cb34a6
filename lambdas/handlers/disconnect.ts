import { closeConnection } from '../core/connections';
import { connectionDepsFromEnv } from './wiring/environment';
import { parseWebSocketEvent } from './wiring/route';

const deps = connectionDepsFromEnv();

/** Best effort: API Gateway may never call it, so the sweeper covers connections whose heartbeats lapse. */
export async function handler(event: unknown) {
  const { caller } = parseWebSocketEvent(event);
  await closeConnection(deps, caller);
  return { statusCode: 200 };
}
