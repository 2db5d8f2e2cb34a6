import { timingsFromEnv } from '../aws/config';
import { systemClock, userStoreFromEnv } from '../aws/environment';
import { parseWebSocketEvent } from '../aws/websocket';
import { closeConnection } from '../core/connections';

const deps = { users: userStoreFromEnv(), clock: systemClock, ...timingsFromEnv() };

/** Best effort: API Gateway may never call it, so heartbeat expiry covers the rest. */
export async function handler(event: unknown) {
  const { caller } = parseWebSocketEvent(event);
  await closeConnection(deps, caller);
  return { statusCode: 200 };
}
