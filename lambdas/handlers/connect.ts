import { timingsFromEnv } from '../aws/config';
import { invokerFromEnv, systemClock, userStoreFromEnv } from '../aws/environment';
import { parseWebSocketEvent } from '../aws/websocket';
import { openConnection } from '../core/connections';
import type { DrainRequest } from '../core/sync';

const deps = { users: userStoreFromEnv(), clock: systemClock, ...timingsFromEnv() };
const drain = invokerFromEnv('drain');

export async function handler(event: unknown) {
  const { caller } = parseWebSocketEvent(event);
  const { cameOnline } = await openConnection(deps, caller);
  // Nothing can be posted to this connection before $connect returns, and the handshake waits for
  // $connect: the sync and the presence announcement run on their own.
  const request: DrainRequest = { ...caller, announceOnline: cameOnline };
  await drain.invokeAsync(request);
  return { statusCode: 200 };
}
