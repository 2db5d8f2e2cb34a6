import { connectionDepsFromEnv } from '../aws/environment';
import { parseWebSocketEvent } from '../aws/websocket';
import { closeConnection } from '../core/connections';

const deps = connectionDepsFromEnv();

/** Best effort: API Gateway may never call it, so the sweeper covers connections whose heartbeats lapse. */
export async function handler(event: unknown) {
  const { caller } = parseWebSocketEvent(event);
  await closeConnection(deps, caller);
  return { statusCode: 200 };
}
