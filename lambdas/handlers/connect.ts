import { timingsFromEnv } from '../aws/config';
import { systemClock, userStoreFromEnv } from '../aws/environment';
import { parseWebSocketEvent } from '../aws/websocket';
import { openConnection } from '../core/connections';

const deps = { users: userStoreFromEnv(), clock: systemClock, ...timingsFromEnv() };

export async function handler(event: unknown) {
  const { caller } = parseWebSocketEvent(event);
  await openConnection(deps, caller);
  return { statusCode: 200 };
}
